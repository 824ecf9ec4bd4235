"""Mentions and direct messages: read the thread, ask, answer where privacy allows."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.core.bounds import MAX_QUESTION_CHARS, bound
from bot.slack.answering import present, thread_context
from bot.slack.blocks import help_blocks
from bot.slack.errors import reported
from bot.slack.listeners.common import react
from bot.slack.payloads import MessageEvent, plain_text
from bot.slack.privacy import EXTERNAL_USER_REASON
from bot.slack.runtime import Runtime
from bot.slack.surface import EphemeralSurface, Surface, ThreadSurface


class MessageAnswers:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def answer_mention(self, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        event = MessageEvent.model_validate(body["event"])
        if event.is_dm:
            return  # the message.im listener answers DMs; answering here too would reply twice
        self.answer(event, client, context, origin="mention")

    def answer_dm(self, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        self.answer(MessageEvent.model_validate(body["event"]), client, context, origin="dm")

    def answer(self, event: MessageEvent, client: WebClient, context: BoltContext, origin: str) -> None:
        if not event.user:
            return  # another app's post: nobody to answer
        user = event.user
        asker = EphemeralSurface(client, event.channel, event.thread_ts, user)  # errors: only the asker sees them
        with reported(asker.tell, origin, channel=event.channel, ts=event.ts, user=user):
            if not self.rt.people.is_member(client, user, context.team_id, context.enterprise_id, event.user_team):
                asker.tell(EXTERNAL_USER_REASON)
                return
            verdict = self.rt.channels.check(client, event.channel, event.is_dm)
            surface: Surface = asker
            if verdict.public:
                # In channels the answer always goes in a thread; in a DM, where the question was.
                thread = event.thread_ts if event.is_dm else (event.thread_ts or event.ts)
                surface = ThreadSurface(client, event.channel, thread, user)
                react(client, event.channel, event.ts)
            self.reply(event, surface, verdict.reason, client, context, origin)

    def reply(
        self,
        event: MessageEvent,
        surface: Surface,
        notice: str | None,
        client: WebClient,
        context: BoltContext,
        origin: str,
    ) -> None:
        question = plain_text(event.text, drop_user=context.bot_user_id)
        if not question:
            surface.show(help_blocks(context.bot_user_id), "How to use Rapport")
            return
        bounded = bound(question, MAX_QUESTION_CHARS)  # a 100 KB paste must not hold the bot for a minute
        question, notice = bounded.text, " ".join(filter(None, [notice, bounded.notice("message")])) or None
        thread_text = ""
        if event.thread_ts and event.thread_ts != event.ts:
            thread_text = thread_context(
                client, event.channel, event.thread_ts, event.ts, context.bot_user_id, context.bot_id
            )
        answer = self.rt.services.assistant.ask(question, context=thread_text)
        present(self.rt, surface, answer, origin=origin, notice=notice)
