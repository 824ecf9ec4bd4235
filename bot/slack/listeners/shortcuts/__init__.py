"""Message shortcuts: "Suggest a reply" works on any message, in threads and Slack Connect channels too."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.constants import CALLBACK_SUGGEST_REPLY
from bot.slack.listeners.shortcuts.suggest_reply import SuggestReply
from bot.slack.runtime import Runtime


def register(app: App, rt: Runtime) -> None:
    suggest = SuggestReply(rt)
    # The modal opens in the ack (a trigger_id lives 3 seconds); the answer fills it in later
    app.shortcut(CALLBACK_SUGGEST_REPLY)(ack=suggest.open_modal, lazy=[suggest.answer])
