"""Who needs us this week, in Slack: /rapport digest, its buttons, App Home's "This week".

Registered before the other listeners: Bolt runs the first listener that matches, so
`/rapport digest` reaches this one (for everyone) and other `/rapport` words the admin one, and
App Home is published here (with the how-to and the admins' status below "This week").
"""

from __future__ import annotations

from slack_bolt import App

from bot.slack.constants import COMMAND_ADMIN
from bot.slack.digest_blocks import ACTION_DIGEST_ASK, ACTION_DIGEST_CHART, ACTION_DIGEST_PERK
from bot.slack.listeners.common import ack_only
from bot.slack.listeners.digest.buttons import DigestButtons
from bot.slack.listeners.digest.command import DigestCommand, is_digest
from bot.slack.listeners.digest.home import ThisWeekHome
from bot.slack.runtime import Runtime


def register(app: App, rt: Runtime) -> None:
    command = DigestCommand(rt)
    buttons = DigestButtons(rt)
    home = ThisWeekHome(rt)
    # /rapport digest [N] [chart]: for everyone, only the asker sees it (a bad word: usage in the ack)
    app.command(COMMAND_ADMIN, matchers=[is_digest])(ack=command.ack, lazy=[command.run])
    # "Draft ...": the ask flow for that customer (App Home: the ack opens a modal, the answer fills it)
    app.action(ACTION_DIGEST_ASK)(ack=buttons.ack_ask, lazy=[buttons.ask])
    # "Perk given": a history entry through the same code as `rapport note`
    app.action(ACTION_DIGEST_PERK)(ack=ack_only, lazy=[buttons.perk_given])
    # "Contact-health chart to my DM": drawn, then uploaded to the clicker's DM
    app.action(ACTION_DIGEST_CHART)(ack=ack_only, lazy=[buttons.chart])
    # App Home: "This week" for whoever opens it, then the how-to and (admins) the index status
    app.event("app_home_opened")(ack=ack_only, lazy=[home.publish])
