"""The agent DM (Rapport's Messages tab as an AI app): a greeting and suggested prompts per conversation.

Slack sends `assistant_thread_started` when someone opens a new conversation with Rapport; the
person's messages in it arrive as ordinary `message.im` events in that thread and are answered by
messages.py. The prompts name customers, so they go only to people of this organisation.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.slack.errors import reported
from bot.slack.runtime import Runtime
from bot.slack.suggestions import suggested_prompts

log = logging.getLogger(__name__)

GREETING = (
    "Hi! Tell me which customer you're writing to and what they said or what you want to tell them "
    "(or paste their message). I'll draft an honest reply from their history and our playbook, and say "
    "where every fact came from. You decide what to send."
)
PROMPTS_TITLE = "Who's waiting on us"


class AgentThreads:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def started(self, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        thread = body["event"]["assistant_thread"]
        user, channel, ts = thread["user_id"], thread["channel_id"], thread["thread_ts"]

        def tell(text: str) -> None:
            client.chat_postMessage(channel=channel, thread_ts=ts, text=text)

        with reported(tell, "assistant_thread_started", user=user, channel=channel):
            refusal = self.rt.people.refusal(client, user, context.team_id, context.enterprise_id)
            if refusal:
                tell(refusal)
                return
            tell(GREETING)
            snap = self.rt.knowledge.snapshot()
            prompts = suggested_prompts(snap.kb.customers.values(), self.rt.knowledge.today())
            if prompts:
                client.assistant_threads_setSuggestedPrompts(
                    channel_id=channel, thread_ts=ts, title=PROMPTS_TITLE, prompts=prompts
                )
