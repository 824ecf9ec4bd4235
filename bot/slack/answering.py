"""Shared steps of every entry point: read a thread, show an answer, build a customer card."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block

from bot.core.answer import Answer
from bot.core.bounds import MAX_CONTEXT_CHARS, bound
from bot.knowledge.models import Customer
from bot.services import content
from bot.services.cadence import contact_state
from bot.services.feedback import new_draft_id
from bot.slack.answer_blocks import answer_blocks, answer_text
from bot.slack.cards import customer_card, customer_card_text
from bot.slack.message_text import message_text
from bot.slack.payloads import plain_text
from bot.slack.runtime import Runtime
from bot.slack.surface import Surface

log = logging.getLogger(__name__)

THREAD_LIMIT = 50
THREAD_UNREAD = (
    "I couldn't read the earlier messages in this thread (Slack didn't answer), "
    "so I only had this message to go on. Try again in a minute if that matters."
)
THREAD_CLOSED = (
    "I couldn't read the earlier messages in this thread because I'm not a member of this channel: "
    "`/invite @Rapport` to let me read them."
)


@dataclass(frozen=True)
class ThreadRead:
    text: str  # what people said earlier in the thread
    messages: list[dict[str, Any]]  # the thread as Slack gave it, oldest first
    problem: str | None = None  # why it could not be read, for the person


def read_thread(
    client: WebClient, channel: str, thread_ts: str, skip_ts: str, bot_user_id: str | None, bot_id: str | None = None
) -> ThreadRead:
    """What people said earlier in the thread (the customer's pasted message, who it is about).

    Every message's text counts, attachments and blocks included (a helpdesk's ticket). Rapport's own
    replies are left out: they name candidates and would only muddle the lookup. Other apps' posts stay.
    """
    try:
        replies = client.conversations_replies(channel=channel, ts=thread_ts, limit=THREAD_LIMIT)
    except SlackApiError as exc:
        error = exc.response.get("error")
        log.warning("conversations.replies %s/%s failed: %s", channel, thread_ts, error)
        closed = error in ("not_in_channel", "channel_not_found")
        return ThreadRead("", [], THREAD_CLOSED if closed else THREAD_UNREAD)
    except OSError as exc:
        log.warning("conversations.replies %s/%s failed: %s", channel, thread_ts, exc)
        return ThreadRead("", [], THREAD_UNREAD)
    messages = list(replies.get("messages") or [])
    texts = [
        plain_text(message_text(m), drop_user=bot_user_id)
        for m in messages
        if m.get("ts") != skip_ts and m.get("user") != bot_user_id and not (bot_id and m.get("bot_id") == bot_id)
    ]
    joined = "\n".join(t for t in texts if t)
    return ThreadRead(bound(joined, MAX_CONTEXT_CHARS).text, messages)  # the first messages and the latest


def customer_of(rt: Runtime, answer: Answer) -> Customer | None:
    if answer.customer is None:
        return None
    return rt.knowledge.snapshot().kb.customers.get(answer.customer.id)


def answer_view(
    rt: Runtime,
    surface: Surface,
    answer: Answer,
    *,
    origin: str,
    notice: str | None = None,
    compact: bool = False,
    label: str | None = None,
) -> tuple[list[Block], str, list[str]]:
    """The answer's blocks for this surface, its fallback text, and the ids given to its drafts."""
    rt.knowledge.explain_not_found(answer, answer.question)  # a customer whose file has errors is named
    customer = customer_of(rt, answer)
    ids = [new_draft_id() for _ in answer.drafts]
    blocks = answer_blocks(
        answer, customer, ids, origin=origin, layout=surface.layout, notice=notice, compact=compact, label=label
    )
    return blocks, answer_text(answer), ids


def record_shown(rt: Runtime, surface: Surface, answer: Answer, ids: list[str], origin: str) -> None:
    """Each draft shown is the denominator of the acceptance rate."""
    for draft, draft_id in zip(answer.drafts, ids, strict=True):
        rt.feedback.record(
            "shown",
            draft_id,
            customer=answer.customer.id if answer.customer else None,
            user=surface.user,
            channel=draft.channel,
            origin=origin,
            mode=answer.mode,
        )


def present(
    rt: Runtime,
    surface: Surface,
    answer: Answer,
    *,
    origin: str,
    notice: str | None = None,
    compact: bool = False,
    label: str | None = None,
) -> None:
    """Show the answer (a refined draft next to what is there when `compact`) and record its drafts."""
    blocks, text, ids = answer_view(rt, surface, answer, origin=origin, notice=notice, compact=compact, label=label)
    (surface.add if compact else surface.show)(blocks, text)
    record_shown(rt, surface, answer, ids, origin)


def card(rt: Runtime, customer: Customer, notice: str | None = None) -> tuple[list[Block], str]:
    """The /customer card: profile, consent, cadence, recent history, private notes, content ideas."""
    snap = rt.knowledge.snapshot()
    today = rt.knowledge.today()
    cadence = contact_state(customer, today).as_cadence(customer.contact.frequency)
    ideas = content.suggest(customer, snap.kb.content, "", snap.finder.store, limit=3)
    return customer_card(customer, cadence, ideas, today, notice), customer_card_text(customer)
