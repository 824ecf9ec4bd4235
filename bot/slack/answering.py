"""Shared steps of every entry point: read a thread, show an answer, build a customer card."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block

from bot.core.answer import Answer
from bot.core.bounds import MAX_CONTEXT_CHARS, bound
from bot.knowledge.models import Customer
from bot.services import content
from bot.services.cadence import contact_state
from bot.services.feedback import new_draft_id
from bot.slack.blocks import answer_blocks, answer_text
from bot.slack.cards import customer_card, customer_card_text
from bot.slack.payloads import plain_text
from bot.slack.runtime import Runtime
from bot.slack.surface import Surface

log = logging.getLogger(__name__)

THREAD_LIMIT = 50


def thread_context(
    client: WebClient, channel: str, thread_ts: str, skip_ts: str, bot_user_id: str | None, bot_id: str | None = None
) -> str:
    """What people said earlier in the thread (the customer's pasted message, who it is about).

    Rapport's own replies are left out: they name candidates and would only muddle the lookup.
    """
    try:
        replies = client.conversations_replies(channel=channel, ts=thread_ts, limit=THREAD_LIMIT)
    except SlackApiError as exc:
        log.info("conversations.replies %s/%s failed: %s", channel, thread_ts, exc.response.get("error"))
        return ""
    texts = [
        plain_text(str(m.get("text") or ""), drop_user=bot_user_id)
        for m in replies.get("messages") or []
        # Other apps' posts stay (a helpdesk's "New ticket from liz@…" names the customer); ours do not.
        if m.get("ts") != skip_ts and m.get("user") != bot_user_id and not (bot_id and m.get("bot_id") == bot_id)
    ]
    joined = "\n".join(t for t in texts if t)
    return bound(joined, MAX_CONTEXT_CHARS).text  # the first messages (the customer's) and the latest


def customer_of(rt: Runtime, answer: Answer) -> Customer | None:
    if answer.customer is None:
        return None
    return rt.knowledge.snapshot().kb.customers.get(answer.customer.id)


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
    """Show the answer and record each draft as shown (the denominator of the acceptance rate)."""
    rt.knowledge.explain_not_found(answer, answer.question)  # a customer whose file has errors is named
    customer = customer_of(rt, answer)
    ids = [new_draft_id() for _ in answer.drafts]
    blocks = answer_blocks(answer, customer, ids, origin=origin, notice=notice, compact=compact, label=label)
    (surface.add if compact else surface.show)(blocks, answer_text(answer))
    for draft, draft_id in zip(answer.drafts, ids, strict=True):
        rt.feedback.record(
            "shown",
            draft_id,
            customer=customer.id if customer else None,
            user=surface.user,
            channel=draft.channel,
            origin=origin,
            mode=answer.mode,
        )


def card(rt: Runtime, customer: Customer, notice: str | None = None) -> tuple[list[Block], str]:
    """The /customer card: profile, consent, cadence, recent history, private notes, content ideas."""
    snap = rt.knowledge.snapshot()
    today = rt.knowledge.today()
    cadence = contact_state(customer, today).as_cadence(customer.contact.frequency)
    ideas = content.suggest(customer, snap.kb.content, "", snap.finder.store, limit=3)
    return customer_card(customer, cadence, ideas, today, notice), customer_card_text(customer)
