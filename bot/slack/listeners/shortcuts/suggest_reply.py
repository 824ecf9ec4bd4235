"""Message shortcut "Suggest a reply": a private modal with drafts for that message. Never a channel post.

The message is read whole: a helpdesk's post keeps the customer's words in attachments or blocks.
If Slack will not open the modal (the trigger expired, Slack is busy), the ack still answers 200 and
the drafts come privately in the channel instead, saying why.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.bounds import MAX_QUESTION_CHARS, bound
from bot.slack.answering import present, read_thread
from bot.slack.blocks import mrkdwn_sections
from bot.slack.cards import find_customer_modal, loading_blocks, suggestion_modal
from bot.slack.constants import CONTEXT_MODAL_FAILED
from bot.slack.errors import reported, slack_error
from bot.slack.message_text import message_text
from bot.slack.payloads import MessageShortcut, SuggestionMeta, plain_text
from bot.slack.runtime import Runtime
from bot.slack.surface import ResponseSurface, Surface, ViewSurface

log = logging.getLogger(__name__)

NO_MODAL = "I couldn't open the Suggest-a-reply window (Slack said: {error}), so here are the drafts, only for you."
NO_TEXT = "That message has no text I can answer."


def external_id(shortcut: MessageShortcut) -> str:
    """Lets the lazy listener update the modal the ack opened without knowing its view id."""
    return f"rapport-suggest-{shortcut.trigger_id}"[:255]


def question_of(shortcut: MessageShortcut, bot_user_id: str | None = None) -> str:
    return plain_text(message_text(shortcut.message.model_dump()), drop_user=bot_user_id)


def metadata(shortcut: MessageShortcut) -> str:
    return SuggestionMeta(q=question_of(shortcut), ch=shortcut.channel_id).encode()


class SuggestReply:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def open_modal(self, ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        ack()
        shortcut = MessageShortcut.model_validate(body)
        view = suggestion_modal(loading_blocks(), metadata(shortcut), external_id=external_id(shortcut))
        try:
            client.views_open(trigger_id=shortcut.trigger_id, view=view)
        except (SlackApiError, OSError) as exc:
            log.warning("views.open failed (%s): the drafts go privately to the channel", exc)
            context[CONTEXT_MODAL_FAILED] = slack_error(exc) or "no answer"

    def answer(self, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        shortcut = MessageShortcut.model_validate(body)
        meta = metadata(shortcut)
        user = shortcut.user.id
        failed = context.get(CONTEXT_MODAL_FAILED)
        surface: Surface = (
            ResponseSurface(client, shortcut.response_url, shortcut.channel_id, user)
            if failed
            else ViewSurface(client, user, meta, external_id=external_id(shortcut))
        )
        notice = NO_MODAL.format(error=failed) if failed else None
        with reported(surface.tell, "suggest_reply", user=user, channel=shortcut.channel_id):
            team, enterprise = context.team_id, context.enterprise_id
            refusal = self.rt.people.refusal(client, user, team, enterprise, shortcut.user.team_id)
            if refusal:
                surface.show(mrkdwn_sections(refusal), refusal)
                return
            question = question_of(shortcut, context.bot_user_id)
            if not question:
                surface.show(mrkdwn_sections(NO_TEXT), NO_TEXT)
                return
            bounded = bound(question, MAX_QUESTION_CHARS)  # bounded like a mention
            question = bounded.text
            customer_id, author_name = self.author(client, shortcut, context)
            message = shortcut.message
            thread_text, problem = "", None
            if message.thread_ts and message.thread_ts != message.ts:
                read = read_thread(client, shortcut.channel_id, message.thread_ts, message.ts, None, context.bot_id)
                thread_text, problem = read.text, read.problem
            hint = "\n".join(t for t in (author_name, thread_text) if t)
            surface.status("Finding the customer…")
            # "Suggest a reply": the message is the customer's own, answered, never a reason to reach out first.
            answer = self.rt.services.assistant.ask(
                question, customer_id=customer_id, context=hint, progress=surface, shortcut=True
            )
            if answer.customer is None and not answer.candidates and isinstance(surface, ViewSurface):
                client.views_update(external_id=external_id(shortcut), view=find_customer_modal(meta, problem))
                return
            notes = " ".join(n for n in (notice, problem, bounded.notice("message")) if n) or None
            present(self.rt, surface, answer, origin="shortcut", notice=notes)

    def author(self, client: WebClient, shortcut: MessageShortcut, context: BoltContext) -> tuple[str | None, str]:
        """The customer who wrote the message, when the author is one: (customer id, name hint).

        A customer writing in a Slack Connect channel is found by email, then by an unambiguous name.
        A colleague's own name says nothing about the customer, so it is never used as a hint.
        """
        author = shortcut.message.user
        if not author or shortcut.message.bot_id:
            return None, ""
        person = self.rt.people.get(client, author)
        if person is None:
            return None, ""
        finder = self.rt.knowledge.snapshot().finder
        exact = finder.exact(person.email) if person.email else None
        if exact is not None:
            return exact.customer.id, ""
        if self.rt.people.is_member(client, author, context.team_id, context.enterprise_id):
            return None, ""
        matches = finder.find(person.name, limit=3)
        if matches and not matches[0].tie and matches[0].matched != "description":
            return matches[0].customer.id, ""
        return None, person.name
