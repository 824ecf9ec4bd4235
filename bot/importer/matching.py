"""Which customer file each row is about: by id, then by email (case-insensitive).

Rows that name the same customer twice are settled here too: the first good row is
imported, the later ones are rejected with the line they repeat, and an opt-out in any of
them still applies (an opt-out in the CRM always wins).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.importer.rows import ImportRow
from bot.knowledge.folder import KnowledgeBase
from bot.knowledge.models import Customer


@dataclass
class Rejected:
    line: int
    reasons: list[str]

    def __str__(self) -> str:
        return f"line {self.line}: {'; '.join(self.reasons)}"


@dataclass
class Matched:
    row: ImportRow
    customer: Customer | None  # None: a new customer
    by: str = ""  # "id" | "email" | ""


@dataclass
class Matching:
    matched: list[Matched] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def dedupe(rows: list[ImportRow], matching: Matching) -> list[ImportRow]:
    """Keep the first good row per id and per email; fold later duplicates' opt-outs into it."""
    kept: list[ImportRow] = []
    by_id: dict[str, ImportRow] = {}
    by_email: dict[str, ImportRow] = {}
    for row in rows:
        if row.errors:
            matching.rejected.append(Rejected(row.line, row.errors))
            continue
        first = by_id.get(row.id) or (by_email.get(row.email_key) if row.email_key else None)
        if first is None:
            kept.append(row)
            by_id[row.id] = row
            if row.email_key:
                by_email[row.email_key] = row
            continue
        same = f"same id {row.id}" if by_id.get(row.id) is first else f"same email {row.fields['email']}"
        reason = f"duplicate of line {first.line} ({same})"
        applied = [kind for kind, s in row.consent.items() if s.state == "out" and _take_opt_out(first, kind, s)]
        if applied:
            reason += f"; its opt-out ({', '.join(applied)}) was applied to line {first.line}"
        matching.rejected.append(Rejected(row.line, [reason]))
    return kept


def _take_opt_out(first: ImportRow, kind: str, signal: object) -> bool:
    current = first.consent.get(kind)
    if current is not None and current.state == "out":
        return False
    first.consent[kind] = signal  # type: ignore[assignment]
    return True


def match(rows: list[ImportRow], kb: KnowledgeBase, matching: Matching) -> None:
    by_email: dict[str, list[Customer]] = {}
    for customer in kb.customers.values():
        if customer.email:
            by_email.setdefault(customer.email.strip().casefold(), []).append(customer)
    claimed: dict[str, int] = {}  # customer path -> the line that claimed it
    for row in rows:
        found, by, error = _find(row, kb, by_email)
        if found is not None and found.path in claimed:
            error = f"{found.path} is already updated from line {claimed[found.path]} (matched by {by} here)"
        if error:
            matching.rejected.append(Rejected(row.line, [error]))
            continue
        if found is not None:
            claimed[found.path] = row.line
        matching.matched.append(Matched(row, found, by))


def _find(
    row: ImportRow, kb: KnowledgeBase, by_email: dict[str, list[Customer]]
) -> tuple[Customer | None, str, str | None]:
    by_id = kb.customers.get(row.id)
    same_email = by_email.get(row.email_key, []) if row.email_key else []
    if by_id is not None:
        others = [c for c in same_email if c.path != by_id.path]
        if others:
            return None, "", f"id {row.id} is {by_id.path} but email {row.fields['email']} is {others[0].path}"
        return by_id, "id", None
    if len(same_email) > 1:
        paths = ", ".join(c.path for c in same_email)
        return None, "", f"email {row.fields['email']} is in several customer files ({paths})"
    if same_email:
        return same_email[0], "email", None
    return None, "", None
