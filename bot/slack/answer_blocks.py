"""An Answer as Block Kit: pure functions, typed blocks, Slack's limits respected.

Order follows what staff need first: who it is, consent and cadence warnings, the facts that
answer the question (for staff), then the drafts (draft_blocks.py), content ideas, one button to
read the request the other way, and a small context line with the ids and files behind it all.
The compact customer summary here never shows `## Private` notes: this is what may be posted in a
thread. `## Staff only` facts are shown to staff, labelled, and never inside a draft.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.core.answer import Answer, Candidate, Fact
from bot.knowledge.models import Customer
from bot.slack.blocks import clip, context, esc, idea_blocks, mrkdwn_sections, notice_blocks
from bot.slack.constants import (
    ACTION_INTENT_OUTREACH,
    ACTION_INTENT_REPLY,
    ACTION_PICK_PREFIX,
    BLOCK_INTENT,
    MAX_CANDIDATES,
)
from bot.slack.draft_blocks import Layout, draft_blocks
from bot.slack.payloads import DraftState, IntentState, PickState

MAX_FACTS = 6
FACT_CHARS = 300
READINGS = {"reply": "a reply to their message", "outreach": "reaching out first"}


def customer_summary(customer: Customer, answer: Answer) -> list[Block]:
    """Name, company, consent and cadence in two lines. No private notes, ever; ids go in the footer."""
    c = customer
    who = f"*{esc(c.name)}*"
    if c.display_name != c.first_name:
        who += f" (goes by {esc(c.display_name)})"
    if c.pronouns:
        who += f" · {esc(c.pronouns)}"
    if c.company:
        who += f" · {esc(c.role + ', ' if c.role else '')}{esc(c.company)}"
    who += f" · {c.segment.upper()}" + (" · VIP" if c.tier == "vip" else "")
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
    return [SectionBlock(text=MarkdownTextObject(text=who)), context(" · ".join(facts))]


def warning_blocks(answer: Answer) -> list[Block]:
    if not answer.warnings:
        return []
    lines = "\n".join(f"• {esc(w.message)}" for w in answer.warnings)
    return mrkdwn_sections(f":warning: *Before you reply*\n{lines}")


def note_blocks(notes: Sequence[str]) -> list[Block]:
    """What staff should check before sending, or what was not drafted and why."""
    if not notes:
        return []
    return mrkdwn_sections(":memo: *For you*\n" + "\n".join(f"• {esc(n)}" for n in notes))


def fact_line(number: int, fact: Fact) -> str:
    text = esc(clip(" ".join(fact.text.split()), FACT_CHARS))
    label = ":lock: _Staff only:_ " if fact.staff_only else ""
    return f"{number}. {label}{text}"


def fact_blocks(facts: Sequence[Fact]) -> list[Block]:
    """What the playbook and their file say about the question, for staff (never a draft); files in small print."""
    if not facts:
        return []
    shown = list(facts)[:MAX_FACTS]
    lines = "\n".join(fact_line(n, f) for n, f in enumerate(shown, 1))
    more = len(facts) - len(shown)
    tail = f"\n…and {more} more (`rapport ask --json` lists them all)." if more > 0 else ""
    sources = " · ".join(f"{n} `{esc(f.source)}`" for n, f in enumerate(shown, 1))
    return [*mrkdwn_sections(f"*What we know* (for you)\n{lines}{tail}"), context(f"Facts from: {sources}")]


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


def intent_block(answer: Answer, customer: Customer, origin: str) -> list[Block]:
    """One click to ask again read the other way: as a reply to their message, or as reaching out first."""
    read = answer.intent
    if read not in READINGS:
        return []
    other: Literal["reply", "outreach"] = "outreach" if read == "reply" else "reply"
    label, action_id = (
        ("Reach out first instead", ACTION_INTENT_OUTREACH)
        if other == "outreach"
        else ("Reply to their message instead", ACTION_INTENT_REPLY)
    )
    value = IntentState(c=customer.id, i=other, q=answer.question, o=origin).encode()
    button = ButtonElement(text=PlainTextObject(text=label), action_id=action_id, value=value)
    return [ActionsBlock(block_id=BLOCK_INTENT, elements=[button])]


def guard_blocks(answer: Answer) -> list[Block]:
    g = answer.guard
    if not g.violations:
        return []
    found = "; ".join(f"{v.code}: {esc(v.detail)}" for v in g.violations[:5])
    return [context(f":shield: Checked {g.checked} drafts, dropped {g.dropped}. Fixed or removed: {found}")]


def footer(answer: Answer, customer: Customer | None) -> Block:
    """The small print: how the request was read, the customer's id and file, how the drafts were made."""
    parts = []
    if customer is not None and answer.intent in READINGS:
        purpose = f", {answer.purpose.replace('_', ' ')}" if answer.purpose else ""
        why = f": {esc(answer.reading.why)}" if answer.reading.why else ""
        parts.append(f"Read as {READINGS[answer.intent]}{purpose}{why}")
    if customer is not None:
        parts.append(f"`{customer.id}` · `{esc(customer.path)}`")
    parts.append(mode_line(answer))
    return context(" · ".join(parts))


def answer_blocks(
    answer: Answer,
    customer: Customer | None,
    draft_ids: Sequence[str],
    *,
    origin: str,
    layout: Layout = "message",
    notice: str | None = None,
    compact: bool = False,
    label: str | None = None,
) -> list[Block]:
    """The whole answer. `compact` (a refined draft) is the draft alone: no card, facts or ideas."""
    blocks: list[Block] = notice_blocks(notice)
    if customer is not None and not compact:
        blocks += customer_summary(customer, answer)
    if answer.candidates:
        return blocks + candidate_blocks(answer.candidates, answer.question, "answer", origin)
    blocks += warning_blocks(answer)
    if not compact:
        blocks += note_blocks(answer.notes)
        blocks += fact_blocks(answer.facts)
    if customer is None:
        return blocks or mrkdwn_sections("I couldn't tell which customer this is about.")
    if answer.drafts:
        blocks.append(DividerBlock())
    for number, (draft, draft_id) in enumerate(zip(answer.drafts, draft_ids, strict=True), 1):
        state = DraftState(
            c=customer.id, d=draft_id, ch=draft.channel, q=answer.question, t=draft.text, o=origin, i=answer.intent
        )
        blocks += draft_blocks(number, draft, state, layout, label if len(answer.drafts) == 1 else None)
    if not answer.drafts and not answer.warnings:
        blocks += mrkdwn_sections("No drafts this time.")
    if not compact:
        blocks += idea_blocks(answer.content_ideas)
        blocks += intent_block(answer, customer, origin)
    blocks += guard_blocks(answer)
    blocks.append(footer(answer, customer))
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
