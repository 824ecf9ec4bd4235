"""The /customer card (ephemeral: the only place `## Private` notes appear) and modal chrome."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from slack_sdk.models.blocks import (
    Block,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.core.answer import Cadence, ContentIdea
from bot.knowledge.models import Customer
from bot.slack.blocks import clip, context, esc, idea_blocks, mrkdwn_sections
from bot.slack.constants import (
    ACTION_FIND_CUSTOMER_INPUT,
    BLOCK_FIND_CUSTOMER,
    MAX_BLOCKS_VIEW,
    VIEW_FIND_CUSTOMER,
    VIEW_SUGGESTION,
)

RECENT_HISTORY = 5
NOTES_LIMIT = 1200


def _field(label: str, value: object) -> MarkdownTextObject | None:
    if value is None or value == "" or value == []:
        return None
    shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return MarkdownTextObject(text=clip(f"*{label}*\n{esc(shown)}", 2000))


def profile_fields(c: Customer) -> list[MarkdownTextObject]:
    fields = [
        _field("Preferred name", c.display_name),
        _field("Pronouns", c.pronouns),
        _field("Company", f"{c.role + ', ' if c.role else ''}{c.company}" if c.company else None),
        _field("Segment", f"{c.segment.upper()}{' · VIP' if c.tier == 'vip' else ''}"),
        _field("Email", c.email),
        _field("Phone", c.phone),
        _field("Customer since", c.customer_since.isoformat() if c.customer_since else None),
        _field("Lifetime value", f"{c.lifetime_value:,.0f}" if c.lifetime_value is not None else None),
        _field("Interests", c.interests),
        _field("Avoid", c.avoid),
    ]
    return [f for f in fields if f is not None][:10]


def contact_fields(c: Customer, cadence: Cadence) -> list[MarkdownTextObject]:
    contact = c.contact
    state = "overdue" if cadence.overdue else "too soon for proactive contact" if cadence.too_soon else "fine"
    if contact.frequency == "never" or contact.marketing_opt_out:
        state = "answer them; do not reach out first"
    fields = [
        _field("Channels (preferred first)", contact.channels or ["none"]),
        _field("Frequency", contact.frequency),
        _field("Marketing", "opted out" if contact.marketing_opt_out else "OK"),
        _field("Last contact", cadence.last_contact or "never"),
        _field("Next proactive contact", cadence.next_allowed or ("never" if contact.frequency == "never" else "any")),
        _field("Cadence", state),
    ]
    return [f for f in fields if f is not None]


def history_lines(c: Customer, limit: int = RECENT_HISTORY) -> str:
    dated = sorted((e for e in c.history if e.date), key=lambda e: (e.date, e.line))[-limit:]
    lines = []
    for e in reversed(dated):
        who = f" ({esc(e.author)})" if e.author else ""
        lines.append(f"• {e.date} {e.channel} {e.direction}{who}: {esc(e.text)}")
    return "\n".join(lines)


def customer_card(
    c: Customer, cadence: Cadence, ideas: Sequence[ContentIdea], today: dt.date, notice: str | None = None
) -> list[Block]:
    """Everything staff may know about the customer, for the requester only."""
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=clip(c.name, 150)))]
    if notice:
        blocks.append(context(esc(notice)))
    blocks.append(SectionBlock(fields=profile_fields(c)))
    heading = MarkdownTextObject(text="*Contact preferences*")
    blocks.append(SectionBlock(text=heading, fields=contact_fields(c, cadence)))
    recent = history_lines(c)
    if recent:
        blocks += mrkdwn_sections(f"*Recent history*\n{recent}")
    if c.notes_text.strip():
        blocks += mrkdwn_sections(f"*Notes*\n{esc(clip(c.notes_text.strip(), NOTES_LIMIT))}")
    if c.private_text.strip():
        text = f":lock: *Private (staff only, never in drafts)*\n{esc(clip(c.private_text.strip(), NOTES_LIMIT))}"
        blocks += mrkdwn_sections(text)
    blocks += idea_blocks(list(ideas)[:3])
    blocks.append(context(f"`{c.id}` · `{esc(c.path)}` · only you can see this card · {today.isoformat()}"))
    return blocks


def customer_card_text(c: Customer) -> str:
    return esc(f"Rapport: customer card for {c.name} ({c.id}), visible only to you.")


# -- modals -----------------------------------------------------------------------------


def _fit_view(blocks: Sequence[Block]) -> list[Block]:
    if len(blocks) <= MAX_BLOCKS_VIEW:
        return list(blocks)
    return [*blocks[: MAX_BLOCKS_VIEW - 1], context("(Shortened: Slack shows at most 100 blocks here.)")]


def suggestion_modal(blocks: Sequence[Block], metadata: str, external_id: str | None = None) -> View:
    return View(
        type="modal",
        callback_id=VIEW_SUGGESTION,
        external_id=external_id,
        title=PlainTextObject(text="Suggest a reply"),
        close=PlainTextObject(text="Close"),
        blocks=_fit_view(blocks),
        private_metadata=metadata,
    )


def loading_blocks(what: str = "Reading the customer's history and the playbook…") -> list[Block]:
    return [SectionBlock(text=MarkdownTextObject(text=f":hourglass_flowing_sand: {what}"))]


def find_customer_modal(metadata: str, problem: str | None = None) -> View:
    """Nobody identified from the message: ask who it is about."""
    blocks: list[Block] = mrkdwn_sections(esc(problem or "I couldn't tell which customer this message is about."))
    blocks.append(DividerBlock())
    blocks.append(
        InputBlock(
            block_id=BLOCK_FIND_CUSTOMER,
            label=PlainTextObject(text="Who is the customer?"),
            hint=PlainTextObject(text="A name, an email address or a company."),
            element=PlainTextInputElement(action_id=ACTION_FIND_CUSTOMER_INPUT, max_length=200),
        )
    )
    return View(
        type="modal",
        callback_id=VIEW_FIND_CUSTOMER,
        title=PlainTextObject(text="Suggest a reply"),
        submit=PlainTextObject(text="Find"),
        close=PlainTextObject(text="Close"),
        blocks=blocks,
        private_metadata=metadata,
    )
