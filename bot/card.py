"""The readable card `rapport ask` prints without --json."""

from __future__ import annotations

import textwrap

from bot.core.answer import Answer
from bot.knowledge.models import Customer


def _wrap(text: str, indent: str = "    ") -> str:
    return "\n".join(
        textwrap.fill(line, width=88, initial_indent=indent, subsequent_indent=indent) if line.strip() else ""
        for line in text.splitlines()
    )


def _clip(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _reading(answer: Answer) -> str:
    if answer.intent == "outreach":
        kind = f"outreach ({(answer.purpose or 'check_in').replace('_', ' ')})"
    else:
        kind = "a reply to their message"
    return f"{kind}: {answer.reading.why}" if answer.reading.why else kind


def render(answer: Answer, customer: Customer | None) -> str:
    out: list[str] = []
    if customer is None and answer.intent == "fact":
        out.append(f"A question of fact ({answer.reading.why}).")
    elif customer is None:
        out.append("No single customer identified.")
        for cand in answer.candidates:
            out.append(f"  - {cand.name} ({cand.id})  score {cand.score:.2f}")
    else:
        c = customer
        who = f"{c.name}"
        if c.display_name != c.first_name:
            who += f' (goes by "{c.display_name}")'
        if c.pronouns:
            who += f", {c.pronouns}"
        company = f" - {c.role + ', ' if c.role else ''}{c.company}" if c.company else ""
        out.append(f"{who}{company}  [{c.id}, {c.segment.upper()}{', VIP' if c.tier == 'vip' else ''}]")
        contact = c.contact
        consent = "opted out of marketing" if contact.marketing_opt_out else "marketing OK"
        out.append(f"  Channels: {', '.join(contact.channels) or 'none'}   Frequency: {contact.frequency}   {consent}")
        if answer.cadence:
            cad = answer.cadence
            out.append(
                f"  Last contact: {cad.last_contact or 'never'}   Next proactive contact: "
                f"{cad.next_allowed or ('any time' if cad.accepts_outreach else 'none (they do not want outreach)')}"
            )
        out.append(f"  Read as: {_reading(answer)}")
        message = answer.reading.message
        if message is not None:
            where = f" ({message.source})" if message.source else f" ({message.origin})"
            out.append(f"  Their message{where}: {_clip(message.text)}")
    if answer.warnings:
        out.append("\nWarnings:")
        out += [f"  ! {w.code}: {w.message}" for w in answer.warnings]
    if answer.drafts:
        out.append(f"\nDrafts ({answer.mode}):")
        for i, d in enumerate(answer.drafts, 1):
            out.append(f"  [{i}] by {d.channel}")
            out.append(_wrap(d.text))
            if d.sources:
                out.append(f"    sources: {', '.join(d.sources)}")
    elif customer is not None:
        out.append("\nNo drafts: see the warnings above.")
    if answer.facts:
        answers = answer.intent != "outreach" and answer.reading.sure
        out.append("\nFacts that answer it:" if answers else "\nFacts on the subject:")
        for fact in answer.facts:
            label = "STAFF ONLY - " if fact.staff_only else ""
            out.append(f"  - {label}{fact.text}  <{fact.source}>")
    if answer.notes:
        out.append("\nFor you:")
        out += [f"  * {note}" for note in answer.notes]
    if answer.content_ideas:
        out.append("\nContent worth sharing:")
        for idea in answer.content_ideas:
            out.append(f"  - {idea.title} ({idea.source}) {idea.url or ''}".rstrip())
            out.append(f"    why: {idea.reason}")
    g = answer.guard
    if g.violations:
        out.append(f"\nGuard: checked {g.checked}, dropped {g.dropped}")
        out += [f"  x {v.code}: {v.detail}" for v in g.violations]
    if answer.usage:
        out.append(f"\nTokens: {answer.usage.prompt_tokens} in, {answer.usage.completion_tokens} out")
    return "\n".join(out)
