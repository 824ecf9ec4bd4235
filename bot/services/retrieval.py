"""Gather the grounded facts one answer needs: playbook passages and this customer's history.

Only this customer's records are searched (a `customer_id` filter), and the
store never held `## Private` text, so nothing here can leak it.
"""

from __future__ import annotations

import re

from bot.core.plan import Passage, PassageKind
from bot.index.store import Hit, VectorStore
from bot.knowledge.models import Customer, HistoryEntry
from bot.services.text import words

MIN_PLAYBOOK_SCORE = 0.3
MIN_HISTORY_SCORE = 0.25
RECENT = 3
LEXICAL_BOOST = 0.06


def source_of(hit: Hit) -> str:
    return hit.id.split("~", 1)[0]


def topic_of(question: str, customer: Customer | None) -> str:
    """The question without the customer's names, emails and Slack mentions (they only add noise)."""
    text = re.sub(r"<[@#!][^>]+>", " ", question)
    if customer is None:
        return text
    names = set(words(" ".join(filter(None, [customer.name, customer.preferred_name, customer.email]))))
    kept = [w for w in re.findall(r"\S+", text) if not (set(words(w)) & names)]
    return " ".join(kept) or text


def _passage(hit: Hit, kind: PassageKind) -> Passage:
    meta = hit.metadata
    return Passage(
        source=source_of(hit),
        text=hit.text,
        score=round(hit.score, 3),
        kind=kind,
        date=str(meta["date"]) if meta.get("date") else None,
        direction=str(meta["direction"]) if meta.get("direction") else None,
    )


def history_passages(customer: Customer, text: str, store: VectorStore | None) -> list[Passage]:
    """This customer's history entries and notes closest to `text`, then their latest entries."""
    found: list[Passage] = []
    if store is not None:
        mine = store.query("customers", text, n=8, where={"customer_id": customer.id})
        found = [
            _passage(h, "note" if h.metadata.get("kind") == "note" else "history")
            for h in mine
            if h.metadata.get("kind") != "profile" and h.score >= MIN_HISTORY_SCORE
        ][:5]
    seen = {p.source for p in found}
    for entry in sorted((e for e in customer.history if e.date), key=lambda e: (e.date, e.line))[-RECENT:]:
        passage = entry_passage(customer, entry)
        if passage.source not in seen:
            found.append(passage)
    return found


def entry_passage(customer: Customer, entry: HistoryEntry) -> Passage:
    return Passage(
        source=f"{customer.path}#L{entry.line}",
        text=entry.text,
        kind="history",
        date=entry.date.isoformat() if entry.date else None,
        direction=entry.direction,
    )


def latest_inbound_entry(customer: Customer) -> HistoryEntry | None:
    inbound = [e for e in customer.history if e.date and e.direction == "in"]
    return max(inbound, key=lambda e: (e.date, e.line)) if inbound else None


def latest_inbound(customer: Customer) -> Passage | None:
    entry = latest_inbound_entry(customer)
    return entry_passage(customer, entry) if entry else None
