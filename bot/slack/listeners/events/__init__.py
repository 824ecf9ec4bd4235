"""Events API: mentions, direct messages, the agent DM (the App Home tab is the digest's: listeners/digest/home.py)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.slack.listeners.common import ack_only
from bot.slack.listeners.events.assistant import AgentThreads
from bot.slack.listeners.events.messages import MessageAnswers
from bot.slack.runtime import Runtime


def is_person_dm(event: dict[str, Any]) -> bool:
    """A person's own message in a DM with Rapport (not an edit, a join, or a bot)."""
    # file_share: a screenshot sent with the question is still a question
    return (
        event.get("channel_type") == "im" and event.get("subtype") in (None, "file_share") and not event.get("bot_id")
    )


def register(app: App, rt: Runtime) -> None:
    answers = MessageAnswers(rt)
    agent = AgentThreads(rt)
    # @Rapport question, in a channel or a thread: answered in the thread (or privately, see privacy.py)
    app.event("app_mention")(ack=ack_only, lazy=[answers.answer_mention])
    # A direct message (or a message in an agent conversation): answered where it was asked
    app.event("message", matchers=[is_person_dm])(ack=ack_only, lazy=[answers.answer_dm])
    # Every other message event (edits, our own posts echoed back): acknowledged, nothing to do
    app.event("message")(ack_only)
    # A new agent conversation (Messages tab): a greeting and prompts naming who is waiting on us
    app.event("assistant_thread_started")(ack=ack_only, lazy=[agent.started])
    # The person looked at another channel while the agent pane is open: nothing to do
    app.event("assistant_thread_context_changed")(ack_only)
