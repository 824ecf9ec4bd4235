"""Turn parsed knowledge files into the records the vector store holds.

`## Private` sections are deliberately absent here: what is never stored can
never be retrieved for a language model.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.index.store import CollectionName, Record
from bot.knowledge.models import ContentItem, Customer, PlaybookDoc, Problem
from bot.knowledge.parser import ParsedFile

Splitter = Callable[[str], list[str]]
MAX_RECORDS_PER_FILE = 1_000  # about 4 s of embedding; a 1 MB file of short lines would be 10,000 (40 s)


def _pieces(base_id: str, text: str, meta: dict[str, str | int | float | bool], split: Splitter) -> list[Record]:
    parts = split(text) or [text]
    if len(parts) == 1:
        return [Record(id=base_id, text=parts[0], metadata=meta)]
    return [Record(id=f"{base_id}~{i}", text=part, metadata={**meta, "chunk": i}) for i, part in enumerate(parts)]


def customer_records(customer: Customer, split: Splitter) -> list[Record]:
    base = {"path": customer.path, "customer_id": customer.id}
    profile_bits = [customer.name]
    if customer.preferred_name:
        profile_bits.append(f"known as {customer.preferred_name}")
    if customer.role or customer.company:
        profile_bits.append(" at ".join(x for x in (customer.role, customer.company) if x))
    if customer.interests:
        profile_bits.append("interested in " + ", ".join(customer.interests))
    profile = f"{'; '.join(profile_bits)}. {customer.segment.upper()} customer."
    records = _pieces(f"{customer.path}#profile", profile, {**base, "kind": "profile", "line": 1}, split)
    for entry in customer.history:
        meta: dict[str, str | int | float | bool] = {**base, "kind": "history", "line": entry.line}
        if entry.date:
            meta |= {"date": entry.date.isoformat(), "channel": entry.channel or "", "direction": entry.direction or ""}
        records += _pieces(f"{customer.path}#L{entry.line}", entry.text, meta, split)
    for note in customer.notes:
        records += _pieces(
            f"{customer.path}#L{note.line}", note.text, {**base, "kind": "note", "line": note.line}, split
        )
    return records


def content_records(item: ContentItem, split: Splitter) -> list[Record]:
    text = f"{item.title}. Topics: {', '.join(item.topics)}. {item.summary}".strip()
    meta: dict[str, str | int | float | bool] = {
        "path": item.path,
        "kind": "content",
        "audience": item.audience,
        "promotional": item.promotional,
        "source": item.source,
        "line": 1,
    }
    return _pieces(item.path, text, meta, split)


def playbook_records(doc: PlaybookDoc, split: Splitter) -> list[Record]:
    """One record per paragraph; `## Staff only` paragraphs are marked, so they reach staff, never a draft."""
    records: list[Record] = []
    for section in doc.sections:
        start, buf = section.line, list[str]()
        for offset, line in enumerate([*section.text.splitlines(), ""]):
            if line.strip():
                if not buf:
                    start = section.line + offset
                buf.append(line.strip())
            elif buf:
                meta: dict[str, str | int | float | bool] = {
                    "path": doc.path,
                    "kind": "playbook",
                    "line": start,
                    "staff_only": section.staff_only,
                    "heading": section.heading or "",
                }
                records += _pieces(f"{doc.path}#L{start}", f"{doc.title}: {' '.join(buf)}", meta, split)
                buf = []
    return records


def records_for(parsed: ParsedFile, split: Splitter) -> tuple[CollectionName, list[Record]]:
    """The records of one file, at most MAX_RECORDS_PER_FILE (the cut is reported on the file)."""
    item = parsed.item
    if isinstance(item, Customer):
        collection, records = "customers", customer_records(item, split)
    elif isinstance(item, ContentItem):
        collection, records = "content", content_records(item, split)
    elif isinstance(item, PlaybookDoc):
        collection, records = "playbook", playbook_records(item, split)
    else:
        return {"customer": "customers", "content": "content", "playbook": "playbook"}[parsed.kind], []  # type: ignore[return-value]
    if len(records) > MAX_RECORDS_PER_FILE:
        records = _bounded(parsed, records)
    return collection, records  # type: ignore[return-value]


def _bounded(parsed: ParsedFile, records: list[Record]) -> list[Record]:
    """A customer keeps their profile and newest passages (history is written newest last); a page its first."""
    total = len(records)
    if isinstance(parsed.item, Customer):
        kept, which = [records[0], *records[-(MAX_RECORDS_PER_FILE - 1) :]], "the profile and the newest"
    else:
        kept, which = records[:MAX_RECORDS_PER_FILE], "the first"
    message = (
        f"{total:,} passages: only {which} {MAX_RECORDS_PER_FILE:,} are searchable (a file is embedded in "
        "seconds, not minutes); split the file"
    )
    parsed.problems.append(Problem(path=parsed.path, line=1, message=message, severity="warning"))
    return kept
