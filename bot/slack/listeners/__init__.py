"""Routing table: which Slack request goes to which listener.

Every entry point acknowledges within Slack's 3 seconds and does its work in a
lazy listener on the worker pool (RAPPORT_WORKERS threads), so a slow model or
a re-index never delays an ack or another person's answer.
"""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners import actions, commands, digest, events, shortcuts, views
from bot.slack.runtime import Runtime


def register_listeners(app: App, rt: Runtime) -> None:
    digest.register(app, rt)  # first: `/rapport digest` and App Home (Bolt runs the first match)
    events.register(app, rt)
    commands.register(app, rt)
    shortcuts.register(app, rt)
    actions.register(app, rt)
    views.register(app, rt)
