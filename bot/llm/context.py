"""The grounded, minimal context a model sees for one answer, built from the plan the rules made.

The customer's own message comes first, on its own. Then only what the draft needs, as compact
JSON with a `source` id on every record: the facts that answer the message (already chosen for this
customer's segment, plan and products), the customer's own `facts`, the questions no fact answers
(the draft promises to check and come back by `follow_up_by`), their most relevant history and
notes, and the content ideas the rules picked. Never `## Staff only` guidance, never `## Private`
notes (the plan carries neither to here), never another customer, no email addresses or phone
numbers. Text that reads as instructions to a model (bot/knowledge/lint.py) is left out and logged.
`<` and `>` are escaped, so no record can close the delimiters it is quoted in.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from bot.core.answer import Draft
from bot.core.plan import DraftPlan, Passage, human_date
from bot.knowledge.lint import instruction_like
from bot.knowledge.models import Customer
from bot.language.text import EMAIL_RE, SENTENCE_RE

log = logging.getLogger(__name__)

MAX_FACTS = 5
MAX_CUSTOMER_FACTS = 6
MAX_HISTORY = 6
MAX_NOTES = 2
MAX_IDEAS = 2
MAX_PASSAGE_CHARS = 400
MAX_FACT_CHARS = 600  # the facts a draft may state: cut them last
MAX_DATA_CHARS = 5000  # about 1,300 tokens of data, whatever the history's length
MAX_REQUEST_CHARS = 600
MAX_MESSAGE_CHARS = 1500

PHONE_RE = re.compile(r"(?<![\w/])(?:\+|00|0)\d[\d ().-]{6,}\d(?!\w)")


@dataclass(frozen=True)
class Context:
    data: str  # the JSON to quote between <customer_data> delimiters
    message: str | None  # the customer's own words, redacted, to quote first
    sources: frozenset[str]  # every source id the model was shown
    follow_up: str  # the date a "we will come back to you" may promise
    related: tuple[str, ...]  # the texts shown (the quality floor measures drafts against them)
    tainted: tuple[str, ...] = ()  # records that read as instructions to a model: withheld, or their message
    theirs: tuple[str, ...] = ()  # what the customer wrote to us, as shown
    trusted: tuple[str, ...] = ()  # what may back an amount, offer or link: the facts, what we told them, links
    answers: str | None = None  # the message a reply answers (the plan's reading)
    promise: str = ""  # the follow-up promise a reply may make

    @property
    def withheld(self) -> int:
        return len(self.tainted)


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
    """Compact JSON that cannot break out of its delimiters."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


def quote_text(text: str) -> str:
    return text.replace("<", "‹").replace(">", "›")


def profile(c: Customer) -> dict[str, Any]:
    out: dict[str, Any] = {"name": c.display_name, "segment": c.segment, "tier": c.tier}
    if c.pronouns:
        out["pronouns"] = c.pronouns
    if c.segment == "b2b":
        out |= {k: v for k, v in (("company", c.company), ("role", c.role)) if v}
    out |= {"allowed_channels": list(c.contact.channels), "marketing_opt_out": c.contact.marketing_opt_out}
    out |= {k: v for k, v in (("interests", c.interests), ("avoid", c.avoid)) if v}
    return out


def ranked_history(passages: list[Passage]) -> list[Passage]:
    """Most useful first: their latest message, then by relevance, then the most recent."""
    inbound = [p for p in passages if p.direction == "in" and p.date]
    latest = max(inbound, key=lambda p: p.date or "") if inbound else None
    newest_first = sorted(passages, key=lambda p: p.date or "", reverse=True)
    return sorted(newest_first, key=lambda p: (p is not latest, -p.score))  # stable: ties stay newest first


def history_record(p: Passage) -> dict[str, Any]:
    who = {"in": "from them", "out": "from us"}.get(p.direction or "", "note")
    record: dict[str, Any] = {"source": p.source}
    if p.date:
        record["date"] = p.date
    return record | {"by": who, "text": clip(redact(p.text))}


class _Shown:
    """Records the model is shown, minus any that read as instructions to a model (kept aside: the
    quality floor drops a draft that repeats what they ask for)."""

    def __init__(self) -> None:
        self.withheld: list[str] = []

    def keep(self, p: Passage) -> bool:
        return self.keep_text(p.text, p.source)

    def keep_text(self, text: str, source: str) -> bool:
        if instruction_like(text):
            if text not in self.withheld:
                self.withheld.append(text)
                log.warning("not shown to the model (reads as instructions to it): %s", source)
            return False
        return True


def plan_passages(plan: DraftPlan, shown: _Shown) -> dict[str, list[Passage]]:
    f = plan.facts
    message_source = plan.message.source if plan.message else None
    history = [p for p in f.history if p.kind != "note" and p.source != message_source and shown.keep(p)]
    notes = [p for p in f.history if p.kind == "note" and shown.keep(p)]
    if not notes:
        c = plan.customer
        notes = [Passage(source=f"{c.path}#L{s.line}", text=s.text, kind="note") for s in c.notes]
        notes = [p for p in notes if shown.keep(p)]
    return {
        "facts": [p for p in f.answer if shown.keep(p)][:MAX_FACTS],
        "customer_facts": [p for p in f.customer if shown.keep(p)][:MAX_CUSTOMER_FACTS],
        "history": ranked_history(history)[:MAX_HISTORY],
        "notes": notes[:MAX_NOTES],
    }


def purpose_record(plan: DraftPlan) -> dict[str, Any]:
    out: dict[str, Any] = {"intent": plan.intent}
    if plan.purpose:
        out["purpose"] = plan.purpose
    if plan.complaint:
        out["complaint"] = True
    if plan.late and plan.waiting_since is not None:
        out["waiting_since"] = human_date(plan.waiting_since)
    if plan.renewal:
        out["renewal"] = {"source": plan.renewal.source, "date": human_date(plan.renewal.date)}
    if plan.perk:
        out["perk"] = {"source": plan.perk.source, "name": plan.perk.perk.name, "text": clip(plan.perk.text)}
    if plan.facts.uncovered:
        # Their words, so shown without the sentences addressed to a model (as their message is).
        asks = (without_instructions(q) for q in plan.facts.uncovered)
        out["not_in_the_facts"] = [clip(q, 200) for q in asks if q != LEFT_OUT]
    return out


def build(plan: DraftPlan, draft: Draft | None = None) -> Context:
    shown = _Shown()
    parts = plan_passages(plan, shown)
    ideas = [
        {"source": i.path, "title": clip(i.title, 120), "url": i.url, "why_it_fits": clip(i.reason, 200)}
        for i in plan.ideas[:MAX_IDEAS]
        if shown.keep_text(f"{i.title}. {i.reason}", i.path)
    ]
    follow_up = human_date(plan.follow_up)
    head = {
        "today": plan.today.isoformat(),
        "follow_up_by": follow_up,
        "customer": profile(plan.customer),
        "request": purpose_record(plan),
    }

    def render() -> str:
        body: dict[str, Any] = {}
        for key, passages in parts.items():
            limit = MAX_FACT_CHARS if key in ("facts", "customer_facts") else MAX_PASSAGE_CHARS
            if key == "history":
                body[key] = [history_record(p) for p in sorted(passages, key=lambda p: (p.date or "", p.source))]
            else:
                body[key] = [{"source": p.source, "text": clip(redact(p.text), limit)} for p in passages]
        return quote(head | {k: v for k, v in body.items() if v} | ({"content_ideas": ideas} if ideas else {}))

    data = render()
    # Over budget: drop the least useful history entries first, then notes, then facts.
    for key in ("history", "notes", "customer_facts", "facts"):
        while len(data) > MAX_DATA_CHARS and parts[key]:
            parts[key].pop()
            data = render()
    passages = [p for group in parts.values() for p in group]
    shown_ids = [p.source for p in passages] + [i["source"] for i in ideas]
    if plan.renewal:
        shown_ids.append(plan.renewal.source)
    if plan.perk:
        shown_ids.append(plan.perk.source)
    message = plan.message
    if message and message.source:
        shown_ids.append(message.source)
    if draft is not None:
        shown_ids += draft.sources
    related = [p.text for p in passages] + [f"{i['title']}. {i['why_it_fits']}" for i in ideas]
    promise = f"I'm checking this and will come back to you by {follow_up}."
    related.append(promise)
    if plan.intent == "outreach":
        related.append(PURPOSE_SAYS[plan.purpose or "check_in"])
    c = plan.customer
    for record in [*(e.text for e in c.history), *(s.text for s in c.notes)]:
        if instruction_like(record) and record not in shown.withheld:
            shown.withheld.append(record)  # not shown, but a draft must not repeat what it asks either
    if plan.perk:
        related.append(plan.perk.text)
    return Context(
        data=data,
        message=clip(redact(without_instructions(message.text)), MAX_MESSAGE_CHARS) if message else None,
        sources=frozenset(str(s) for s in shown_ids),
        follow_up=follow_up,
        related=tuple(related),
        tainted=tuple(
            shown.withheld
            + ([message.text] if message and instruction_like(message.text) else [])
            # The staff request carries what they pasted: its sentences addressed to a model taint too.
            + ([plan.question] if instruction_like(plan.question) else [])
        ),
        theirs=tuple(p.text for p in parts["history"] if p.direction == "in"),
        answers=answered(plan),
        promise=promise,
        trusted=tuple(
            [p.text for p in [*parts["facts"], *parts["customer_facts"]]]
            + [p.text for p in parts["history"] if p.direction == "out"]
            + [str(i["url"]) for i in ideas if i["url"]]
            + [promise]
            + ([plan.perk.text] if plan.perk else [])
        ),
    )


# What a message written first for each purpose says, for the quality floor's "on the subject" test
# (a check-in shares few words with any fact).
PURPOSE_SAYS = {
    "check_in": "I wanted to check in and see how things are going, and whether there is anything we can help with.",
    "share_content": "I came across something I thought you would find useful and wanted to share it with you.",
    "renewal": "Your renewal is coming up, so here are the date and the terms.",
    "perk": "As one of our valued customers, there is something special we would like to offer you.",
    "advocacy": "Would you be willing to share your experience with us, in a review or a few words?",
    "preferences": "How and how often would you like to hear from us?",
}
LEFT_OUT = "[words addressed to an AI, left out]"


def without_instructions(text: str) -> str:
    """Their message, minus the sentences that read as instructions to a model (the rest is answered)."""
    if not instruction_like(text):
        return text
    kept = [s if not instruction_like(s) else LEFT_OUT for s in SENTENCE_RE.split(text)]
    return " ".join(dict.fromkeys(kept)) if any(s != LEFT_OUT for s in kept) else LEFT_OUT


def answered(plan: DraftPlan) -> str | None:
    """The message a reply answers, as the rules read it (None for outreach, or when they found none)."""
    return plan.message.text if plan.intent == "reply" and plan.message is not None else None


def staff_request(plan: DraftPlan) -> str:
    return quote(clip(redact(plan.question), MAX_REQUEST_CHARS))


def draft_record(draft: Draft) -> str:
    return quote({"text": redact(draft.text), "sources": draft.sources})
