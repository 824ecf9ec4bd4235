"""Message shortcut "Suggest a reply": a private modal with drafts for that message. Never a channel post."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.core.bounds import MAX_QUESTION_CHARS, bound
from bot.slack.answering import present, thread_context
from bot.slack.blocks import mrkdwn_sections
from bot.slack.cards import find_customer_modal, loading_blocks, suggestion_modal
from bot.slack.errors import reported
from bot.slack.payloads import MessageShortcut, SuggestionMeta, plain_text
from bot.slack.privacy import EXTERNAL_USER_REASON
from bot.slack.runtime import Runtime
from bot.slack.surface import ViewSurface


def external_id(shortcut: MessageShortcut) -> str:
    """Lets the lazy listener update the modal the ack opened without knowing its view id."""
    return f"rapport-suggest-{shortcut.trigger_id}"[:255]


def metadata(shortcut: MessageShortcut) -> str:
    return SuggestionMeta(q=plain_text(shortcut.message.text), ch=shortcut.channel_id).encode()


class SuggestReply:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def open_modal(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        shortcut = MessageShortcut.model_validate(body)
        view = suggestion_modal(loading_blocks(), metadata(shortcut), external_id=external_id(shortcut))
        client.views_open(trigger_id=shortcut.trigger_id, view=view)

    def answer(self, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        shortcut = MessageShortcut.model_validate(body)
        meta = metadata(shortcut)
        user = shortcut.user.id
        surface = ViewSurface(client, user, meta, external_id=external_id(shortcut))
        with reported(surface.tell, "suggest_reply", user=user, channel=shortcut.channel_id):
            team, enterprise = context.team_id, context.enterprise_id
            if not self.rt.people.is_member(client, user, team, enterprise, shortcut.user.team_id):
                surface.show(mrkdwn_sections(EXTERNAL_USER_REASON), EXTERNAL_USER_REASON)
                return
            question = plain_text(shortcut.message.text, drop_user=context.bot_user_id)
            if not question:
                surface.show(mrkdwn_sections("That message has no text I can answer."), "Nothing to answer.")
                return
            bounded = bound(question, MAX_QUESTION_CHARS)  # bounded like a mention
            question = bounded.text
            customer_id, author_name = self.author(client, shortcut, context)
            message = shortcut.message
            thread_text = ""
            if message.thread_ts and message.thread_ts != message.ts:
                thread_text = thread_context(
                    client, shortcut.channel_id, message.thread_ts, message.ts, None, context.bot_id
                )
            hint = "\n".join(t for t in (author_name, thread_text) if t)
            # "Suggest a reply": the message is answered, never treated as a reason to reach out first.
            answer = self.rt.services.assistant.ask(question, customer_id=customer_id, context=hint, intent="reply")
            if answer.customer is None and not answer.candidates:
                client.views_update(external_id=external_id(shortcut), view=find_customer_modal(meta))
                return
            present(self.rt, surface, answer, origin="shortcut", notice=bounded.notice("message"))

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
