"""Mentions and direct messages: read the thread, ask, answer where privacy allows.

While Rapport works, the question gets a 👀 reaction and the thread a status line ("Reading Jane's
history…"); with a model the first draft streams in. The reaction goes once the answer is posted,
or once the person has been told why not. "make it shorter" in a thread refines the last draft.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.answer import Draft
from bot.core.bounds import MAX_QUESTION_CHARS, bound
from bot.slack.answering import ThreadRead, present, read_thread
from bot.slack.blocks import help_blocks
from bot.slack.constants import REFINED_LABELS
from bot.slack.errors import reported
from bot.slack.followup import last_draft, requested_style
from bot.slack.listeners.common import react, unreact
from bot.slack.payloads import MessageEvent, plain_text
from bot.slack.runtime import Runtime
from bot.slack.surface import EphemeralSurface, Surface, ThreadSurface

log = logging.getLogger(__name__)
DM_HISTORY = 10  # messages looked back over in a DM without threads, for the draft a follow-up means


def joined(*notes: str | None) -> str | None:
    return " ".join(n for n in notes if n) or None


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
        surface: Surface = asker
        reacted = False
        try:
            with reported(asker.tell, origin, channel=event.channel, ts=event.ts, user=user):
                refusal = self.rt.people.refusal(client, user, context.team_id, context.enterprise_id, event.user_team)
                if refusal:
                    asker.tell(refusal)
                    return
                verdict = self.rt.channels.check(client, event.channel, event.is_dm)
                if verdict.public:
                    # In channels the answer always goes in a thread; in a DM, where the question was.
                    thread = event.thread_ts if event.is_dm else (event.thread_ts or event.ts)
                    surface = ThreadSurface(
                        client,
                        event.channel,
                        thread,
                        user,
                        team=event.user_team or context.team_id,
                        stream=self.rt.settings.llm_enabled,
                    )
                    reacted = react(client, event.channel, event.ts)
                self.reply(event, surface, verdict.reason, client, context, origin)
        finally:
            surface.done()
            if reacted:
                unreact(client, event.channel, event.ts)

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
        thread = ThreadRead("", [])
        if event.thread_ts and event.thread_ts != event.ts:
            thread = read_thread(client, event.channel, event.thread_ts, event.ts, context.bot_user_id, context.bot_id)
        if self.follow_up(event, question, thread, surface, notice, client, context):
            return
        surface.status("Finding the customer…")
        answer = self.rt.services.assistant.ask(question, context=thread.text, progress=surface)
        present(self.rt, surface, answer, origin=origin, notice=joined(notice, thread.problem))

    def follow_up(
        self,
        event: MessageEvent,
        question: str,
        thread: ThreadRead,
        surface: Surface,
        notice: str | None,
        client: WebClient,
        context: BoltContext,
    ) -> bool:
        """ "make it shorter" after a draft: refine that draft (followup.py says when a message is one)."""
        style = requested_style(question)
        if style is None or self.names_a_customer(question):
            return False
        if thread.messages:
            state = last_draft(thread.messages, context.bot_id)
        elif event.is_dm and not event.thread_ts:
            state = last_draft(self.dm_history(client, event), context.bot_id, newest_first=True)
        else:
            state = None
        if state is None:
            return False
        surface.status("Rewriting the draft…")
        draft = Draft(text=state.t, channel=state.ch)
        answer = self.rt.services.assistant.refine(state.c, state.q, draft, style, intent=state.i)
        label = f"Draft, {REFINED_LABELS[style]}"
        present(self.rt, surface, answer, origin="followup", notice=notice, compact=True, label=label)
        return True

    def names_a_customer(self, text: str) -> bool:
        matches = self.rt.knowledge.snapshot().finder.find(text, limit=3)
        return any(m.matched != "description" for m in matches)

    @staticmethod
    def dm_history(client: WebClient, event: MessageEvent) -> list[dict[str, Any]]:
        try:
            history = client.conversations_history(channel=event.channel, latest=event.ts, limit=DM_HISTORY)
        except (SlackApiError, OSError) as exc:
            log.info("conversations.history %s failed: %s", event.channel, exc)
            return []
        return list(history.get("messages") or [])
