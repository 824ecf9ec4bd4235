"""The grounded, minimal context a model sees for one answer.

Only what the draft needs: this customer's profile fields that shape the
wording, their most relevant history and notes, the playbook passages and
candidate content, each with a `source` id. Never `## Private` notes (the plan
does not carry them, and nothing here reads `Customer.private`), never another
customer, no email addresses or phone numbers. Everything is rendered as JSON
with `<` and `>` escaped, so no record can close the `<customer_data>`
delimiters it is quoted in.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.core.answer import Draft
from bot.core.plan import DraftPlan, Passage, human_date
from bot.knowledge.models import Customer
from bot.language.text import EMAIL_RE

MAX_PLAYBOOK = 4
MAX_HISTORY = 8
MAX_NOTES = 3
MAX_IDEAS = 3
MAX_PASSAGE_CHARS = 600
MAX_PLAYBOOK_CHARS = 1000  # playbook paragraphs are the facts a draft may state: cut them last
MAX_DATA_CHARS = 8000  # about 2,000 tokens of data, whatever the history's length
MAX_REQUEST_CHARS = 1500

PHONE_RE = re.compile(r"(?<![\w/])(?:\+|00|0)\d[\d ().-]{6,}\d(?!\w)")


@dataclass(frozen=True)
class Context:
    data: str  # the JSON to quote between <customer_data> delimiters
    sources: frozenset[str]  # every source id the model was shown
    follow_up: str  # the date a "we will come back to you" may promise


def redact(text: str) -> str:
    """No contact details: the draft does not need them, and a model should never repeat them."""
    text = EMAIL_RE.sub("[email]", text)
    return PHONE_RE.sub(lambda m: "[phone]" if sum(c.isdigit() for c in m.group(0)) >= 9 else m.group(0), text)


def clip(text: str, limit: int = MAX_PASSAGE_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def quote(value: object) -> str:
    """JSON that cannot break out of its delimiters."""
    return json.dumps(value, ensure_ascii=False, indent=1).replace("<", "\\u003c").replace(">", "\\u003e")


def profile(c: Customer) -> dict[str, Any]:
    out: dict[str, Any] = {"name": c.display_name, "segment": c.segment, "tier": c.tier}
    if c.pronouns:
        out["pronouns"] = c.pronouns
    if c.segment == "b2b":
        out |= {k: v for k, v in (("company", c.company), ("role", c.role)) if v}
    out |= {
        "allowed_channels": list(c.contact.channels),
        "marketing_opt_out": c.contact.marketing_opt_out,
        "interests": c.interests,
        "avoid": c.avoid,
    }
    return out


def ranked_history(passages: list[Passage]) -> list[Passage]:
    """Most useful first: their latest message, then by relevance, then the most recent."""
    inbound = [p for p in passages if p.direction == "in" and p.date]
    latest = max(inbound, key=lambda p: p.date or "") if inbound else None
    newest_first = sorted(passages, key=lambda p: p.date or "", reverse=True)
    return sorted(newest_first, key=lambda p: (p is not latest, -p.score))  # stable: ties stay newest first


def history_record(p: Passage) -> dict[str, Any]:
    who = {"in": "from the customer", "out": "from us"}.get(p.direction or "", "note")
    record: dict[str, Any] = {"source": p.source}
    if p.date:
        record["date"] = p.date
    return record | {"kind": who, "text": clip(redact(p.text))}


def note_records(plan: DraftPlan, seen: set[str]) -> list[dict[str, Any]]:
    c = plan.customer
    notes = [{"source": p.source, "text": clip(redact(p.text))} for p in plan.facts.history if p.kind == "note"]
    for section in c.notes:
        source = f"{c.path}#L{section.line}"
        if source not in seen and all(n["source"] != source for n in notes):
            notes.append({"source": source, "text": clip(redact(section.text))})
    return notes[:MAX_NOTES]


def build(plan: DraftPlan, draft: Draft | None = None) -> Context:
    facts = plan.facts
    follow_up = human_date(plan.follow_up)
    history = ranked_history([p for p in facts.history if p.kind != "note"])[:MAX_HISTORY]
    notes = note_records(plan, {p.source for p in history})
    playbook = [{"source": p.source, "text": clip(p.text, MAX_PLAYBOOK_CHARS)} for p in facts.answer[:MAX_PLAYBOOK]]
    ideas = [
        {"source": i.path, "title": i.title, "url": i.url, "by": i.source, "why_it_fits": clip(i.reason, 300)}
        for i in plan.ideas[:MAX_IDEAS]
    ]
    head = {"today": plan.today.isoformat(), "follow_up_by": follow_up, "customer": profile(plan.customer)}

    def render() -> str:
        chronological = sorted(history, key=lambda p: (p.date or "", p.source))
        records = [history_record(p) for p in chronological]
        return quote(head | {"playbook": playbook, "history": records, "notes": notes, "content_ideas": ideas})

    data = render()
    # Over budget: drop the least useful history entries first, then notes, then playbook passages.
    while len(data) > MAX_DATA_CHARS and (history or notes or playbook):
        if history:
            history.pop()
        elif notes:
            notes.pop()
        else:
            playbook.pop()
        data = render()
    shown = [*(p.source for p in history), *(n["source"] for n in notes), *(p["source"] for p in playbook)]
    shown += [i["source"] for i in ideas]
    if draft is not None:
        shown += draft.sources
    return Context(data=data, sources=frozenset(str(s) for s in shown), follow_up=follow_up)


def staff_request(plan: DraftPlan) -> str:
    return quote(clip(redact(plan.question), MAX_REQUEST_CHARS))


def draft_record(draft: Draft) -> str:
    return quote({"channel": draft.channel, "text": redact(draft.text), "sources": draft.sources})
