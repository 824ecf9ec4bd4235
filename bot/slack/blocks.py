"""An Answer as Block Kit: pure functions, typed blocks, Slack's limits respected.

Order follows what staff need first: who it is, consent and cadence warnings,
then the drafts (each with its sources and buttons), then content ideas.
The compact customer card here never shows `## Private` notes: this is what
may be posted in a thread.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.core.answer import Answer, Candidate, ContentIdea, Draft
from bot.knowledge.models import Customer
from bot.slack.constants import (
    ACTION_FORMAL,
    ACTION_HELPFUL,
    ACTION_LOG_SENT,
    ACTION_NOT_HELPFUL,
    ACTION_PICK_PREFIX,
    ACTION_REGENERATE,
    ACTION_SHORTER,
    ACTION_WARMER,
    MAX_BLOCKS_MESSAGE,
    MAX_CANDIDATES,
    MAX_FALLBACK_TEXT,
    MAX_SECTION_TEXT,
)
from bot.slack.payloads import DraftState, PickState

CHANNEL_LABELS = {"email": "email", "sms": "text message", "phone": "phone call", "slack": "Slack", "mail": "letter"}


# -- small pieces -----------------------------------------------------------------------


def esc(text: str) -> str:
    """Escape the three characters mrkdwn treats as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def split_text(text: str, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraph, line or word boundaries when possible."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def mrkdwn_sections(text: str) -> list[Block]:
    return [SectionBlock(text=MarkdownTextObject(text=piece)) for piece in split_text(text)]


def plain_sections(text: str) -> list[Block]:
    """Draft text as plain text: what staff copy must be exactly what was drafted, no markup."""
    return [SectionBlock(text=PlainTextObject(text=piece, emoji=False)) for piece in split_text(text)]


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=split_text(text)[0])])


def notice_blocks(notice: str | None) -> list[Block]:
    return [context(f":lock: {esc(notice)}")] if notice else []


def chunk_blocks(blocks: Sequence[Block], size: int = MAX_BLOCKS_MESSAGE) -> list[list[Block]]:
    """Slack takes at most 50 blocks per message: longer answers become several messages."""
    chunks = [list(blocks[i : i + size]) for i in range(0, len(blocks), size)]
    return chunks or [[]]


def clip(text: str, limit: int = MAX_FALLBACK_TEXT) -> str:
    if len(text) <= limit:
        return text
    return re.sub(r"&[a-z]{0,3}$", "", text[: limit - 1]) + "…"  # never half an escape like "&am"


# -- the answer -----------------------------------------------------------------------


def customer_summary(customer: Customer, answer: Answer) -> list[Block]:
    """Name, company, consent and cadence in two lines. No private notes, ever."""
    c = customer
    who = f"*{esc(c.name)}*"
    if c.display_name != c.first_name:
        who += f" (goes by {esc(c.display_name)})"
    if c.pronouns:
        who += f" · {esc(c.pronouns)}"
    if c.company:
        who += f" · {esc(c.role + ', ' if c.role else '')}{esc(c.company)}"
    tags = f"`{c.id}` · {c.segment.upper()}" + (" · VIP" if c.tier == "vip" else "")
    contact = c.contact
    facts = [
        f"Channels: {', '.join(contact.channels) or 'none'}",
        f"Frequency: {contact.frequency}",
        "Opted out of marketing" if contact.marketing_opt_out else "Marketing OK",
    ]
    cad = answer.cadence
    if cad:
        facts.append(f"Last contact: {cad.last_contact or 'never'}")
        if contact.frequency != "never":
            facts.append(f"Next proactive contact: {cad.next_allowed or 'any time'}")
    return [SectionBlock(text=MarkdownTextObject(text=f"{who}\n{tags}")), context(" · ".join(facts))]


def warning_blocks(answer: Answer) -> list[Block]:
    if not answer.warnings:
        return []
    lines = "\n".join(f"• {esc(w.message)}" for w in answer.warnings)
    return mrkdwn_sections(f":warning: *Before you reply*\n{lines}")


def draft_buttons(state: DraftState) -> ActionsBlock:
    value = state.encode()
    feedback = DraftState(c=state.c, d=state.d, ch=state.ch, o=state.o).encode()

    def button(label: str, action_id: str, carried: str, style: str | None = None) -> ButtonElement:
        return ButtonElement(text=PlainTextObject(text=label), action_id=action_id, value=carried, style=style)

    return ActionsBlock(
        block_id=f"draft_{state.d}",
        elements=[
            button("Log as sent", ACTION_LOG_SENT, value, "primary"),
            button("Shorter", ACTION_SHORTER, value),
            button("More formal", ACTION_FORMAL, value),
            button("Warmer", ACTION_WARMER, value),
            button("Regenerate", ACTION_REGENERATE, value),
            button(":+1: Helpful", ACTION_HELPFUL, feedback),
            button(":-1: Not helpful", ACTION_NOT_HELPFUL, feedback),
        ],
    )


def draft_blocks(number: int, draft: Draft, state: DraftState, label: str | None = None) -> list[Block]:
    title = label or f"Draft {number}"
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=f"*{esc(title)}* · by {CHANNEL_LABELS.get(draft.channel, '')}"))
    ]
    blocks += plain_sections(draft.text)
    if draft.sources:
        blocks.append(context("Sources: " + ", ".join(f"`{esc(s)}`" for s in draft.sources)))
    blocks.append(draft_buttons(state))
    return blocks


def idea_line(idea: ContentIdea) -> str:
    title = f"<{idea.url}|{esc(idea.title)}>" if idea.url else f"*{esc(idea.title)}*"
    return f"• {title} ({esc(idea.source)}): {esc(idea.reason)}"


def idea_blocks(ideas: Sequence[ContentIdea]) -> list[Block]:
    if not ideas:
        return []
    return mrkdwn_sections("*Worth sharing with them*\n" + "\n".join(idea_line(i) for i in ideas))


def guard_blocks(answer: Answer) -> list[Block]:
    g = answer.guard
    if not g.violations:
        return []
    found = "; ".join(f"{v.code}: {esc(v.detail)}" for v in g.violations[:5])
    return [context(f":shield: Checked {g.checked} drafts, dropped {g.dropped}. Fixed or removed: {found}")]


def candidate_blocks(
    candidates: Sequence[Candidate], question: str, kind: Literal["answer", "card"], origin: str
) -> list[Block]:
    shown = list(candidates)[:MAX_CANDIDATES]
    buttons = [
        ButtonElement(
            text=PlainTextObject(text=clip(f"{c.name} ({c.id})", 75)),
            action_id=f"{ACTION_PICK_PREFIX}{i}",
            value=PickState(k=kind, c=c.id, q=question, o=origin).encode(),
        )
        for i, c in enumerate(shown)
    ]
    text = "Several customers match equally well. Which one do you mean?"
    return [SectionBlock(text=MarkdownTextObject(text=text)), ActionsBlock(block_id="pick_customer", elements=buttons)]


def answer_blocks(
    answer: Answer,
    customer: Customer | None,
    draft_ids: Sequence[str],
    *,
    origin: str,
    notice: str | None = None,
    compact: bool = False,
    label: str | None = None,
) -> list[Block]:
    """The whole answer. `compact` (a refined draft) leaves out the card and the content ideas."""
    blocks: list[Block] = notice_blocks(notice)
    if customer is not None and not compact:
        blocks += customer_summary(customer, answer)
    if answer.candidates:
        return blocks + candidate_blocks(answer.candidates, answer.question, "answer", origin)
    blocks += warning_blocks(answer)
    if customer is None:
        return blocks or mrkdwn_sections("I couldn't tell which customer this is about.")
    if answer.drafts:
        blocks.append(DividerBlock())
    for number, (draft, draft_id) in enumerate(zip(answer.drafts, draft_ids, strict=True), 1):
        state = DraftState(
            c=customer.id, d=draft_id, ch=draft.channel, q=answer.question, t=draft.text, o=origin, i=answer.intent
        )
        blocks += draft_blocks(number, draft, state, label if len(answer.drafts) == 1 else None)
    if not answer.drafts and not answer.warnings:
        blocks += mrkdwn_sections("No drafts this time.")
    if not compact:
        blocks += idea_blocks(answer.content_ideas)
    blocks += guard_blocks(answer)
    blocks.append(context(mode_line(answer)))
    return blocks


def mode_line(answer: Answer) -> str:
    if answer.mode == "llm":
        return "Worded by the language model from the facts shown, checked by Rapport's guard. You decide what to send."
    return "Composed from the playbook and the customer's history only. You decide what to send."


def answer_text(answer: Answer) -> str:
    """The plain `text=` fallback: what notifications and screen readers get."""
    # Escaped like the blocks: Slack reads `text` as mrkdwn, so a "<!channel>" in a name would ping everyone.
    if answer.candidates:
        names = ", ".join(c.name for c in answer.candidates[:MAX_CANDIDATES])
        return clip(esc(f"Rapport: several customers match ({names}). Which one do you mean?"))
    if answer.customer is None:
        reason = answer.warnings[0].message if answer.warnings else "I couldn't tell which customer this is about."
        return clip(esc(f"Rapport: {reason}"))
    name = answer.customer.name
    parts = [f"Rapport: {len(answer.drafts)} reply draft{'s' * (len(answer.drafts) != 1)} for {name}."]
    if answer.warnings:
        parts.append(" ".join(w.message for w in answer.warnings))
    if answer.drafts:
        parts.append(f"Draft 1 ({answer.drafts[0].channel}): {answer.drafts[0].text}")
    return clip(esc(" ".join(parts)))


def help_blocks(bot_user_id: str | None = None) -> list[Block]:
    me = f"<@{bot_user_id}>" if bot_user_id else "@Rapport"
    text = (
        "*How to use Rapport*\n"
        f"• Mention {me} with your question in a channel or thread, e.g. "
        f"_{me} how should I answer Jane about the late parcel?_ I answer in the thread.\n"
        "• Send me a direct message with the same kind of question.\n"
        "• `/customer jane@example.com` shows a customer card only you can see.\n"
        "• On any message (a customer's, in a Slack Connect channel too): *More actions* → *Suggest a reply*.\n"
        "• Under each draft: make it shorter, more formal or warmer, regenerate it, *Log as sent* once you "
        "have sent it, and tell us whether it helped."
    )
    return mrkdwn_sections(text)
