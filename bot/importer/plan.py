"""From a read table to a plan for every row, and from the plan to files on disk.

Planning reads and checks everything first: nothing is written while any row is still being
read (`writing.py` then writes the plan).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from bot.importer.mapping import Resolved
from bot.importer.matching import Matching, Rejected, dedupe, match
from bot.importer.merge import Options, Planned, new_path, plan_create, plan_update
from bot.importer.reading import Table
from bot.importer.rows import RowReader
from bot.importer.yamledit import EditError
from bot.knowledge import folder
from bot.knowledge.models import Customer


@dataclass
class Outcome:
    table: Table
    planned: list[Planned] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    customers: dict[str, Customer] = field(default_factory=dict)  # path -> the customer an update is for
    blank_rows: int = 0
    notes: list[str] = field(default_factory=list)
    broken_files: list[str] = field(default_factory=list)  # customer files that do not parse (cannot be matched)

    def count(self, kind: str) -> int:
        return sum(1 for p in self.planned if p.kind == kind)

    @property
    def writes(self) -> list[Planned]:
        return [p for p in self.planned if p.kind != "unchanged"]


def build(table: Table, resolved: Resolved, root: Path, today: dt.date, options: Options) -> Outcome:
    outcome = Outcome(table)
    reader = RowReader(table, resolved, today)
    outcome.notes += table.notes + reader.notes
    rows = []
    for row in table.rows:
        if row.blank:
            outcome.blank_rows += 1
        else:
            rows.append(reader.read(row))
    # A new or still empty folder is fine to import into; folder.load refuses one with no customers/ at all.
    started = any((root / sub).is_dir() for sub in folder.SUBFOLDERS)
    kb = folder.load(root) if started else folder.KnowledgeBase(root=root)
    outcome.broken_files = sorted(
        {p.path for p in kb.errors if p.path.startswith("customers/") and kb.customer_by_path(p.path) is None}
    )
    matching = Matching()
    match(dedupe(rows, matching), kb, matching)
    outcome.rejected = matching.rejected
    taken = set(kb.hashes) | set(outcome.broken_files)
    for m in matching.matched:
        try:
            if m.customer is None:
                rel = new_path(m.row.fields["name"], m.row.id, taken)
                planned = plan_create(m.row, rel, options)
                taken.add(rel)
            else:
                planned = plan_update(m.row, m.customer, root, m.by, options)
                outcome.customers[m.customer.path] = m.customer
        except (ValueError, EditError, OSError) as exc:
            outcome.rejected.append(Rejected(m.row.line, [str(exc)]))
            continue
        outcome.planned.append(planned)
    outcome.rejected.sort(key=lambda r: r.line)
    return outcome
