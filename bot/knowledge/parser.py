"""Parse one knowledge file into a typed model plus the problems found in it.

Parsing never raises for bad input: every problem becomes a `Problem` with the
file and line, and whatever could be understood is still returned, so one
broken file never stops the rest of the folder from being indexed.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from bot.knowledge import lenient
from bot.knowledge.frontmatter import Document, FrontMatterError, split
from bot.knowledge.models import (
    HISTORY_CHANNELS,
    ContentItem,
    Customer,
    HistoryEntry,
    PlaybookDoc,
    PlaybookSection,
    Problem,
    Section,
    fact_key,
)

log = logging.getLogger(__name__)
Kind = Literal["customer", "content", "playbook"]
M = TypeVar("M", bound=BaseModel)

HISTORY_RE = re.compile(
    r"^(?P<date>\d{4}-\d{1,2}-\d{1,2})\s+(?P<channel>[a-z-]+)\s+(?P<direction>[a-z]+)"
    r"(?:\s+\((?P<author>[^)]*)\))?\s*:\s*(?P<text>.+)$"
)
LIST_ITEM_RE = re.compile(r"^\s{0,3}[-*+]\s+(?P<item>.*)$")
HEADING_RE = re.compile(r"^##\s+(?P<title>.+?)\s*#*\s*$")
TOP_HEADING_RE = re.compile(r"^#{1,2}\s+(?P<title>.+?)\s*#*\s*$")  # '# X' or '## X' starts a playbook section
STAFF_ONLY_RE = re.compile(r"^(?:for\s+)?staff[\s_-]*only\b", re.I)


@dataclass
class ParsedFile:
    path: str
    kind: Kind
    item: Customer | ContentItem | PlaybookDoc | None
    problems: list[Problem] = field(default_factory=list)
    key_lines: dict[str, int] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)  # a customer file that could not be read: its id/name/email lines


def kind_of(rel_path: str) -> Kind | None:
    top = rel_path.split("/", 1)[0]
    return {"customers": "customer", "content": "content", "playbook": "playbook"}.get(top)  # type: ignore[return-value]


def parse_text(rel_path: str, text: str) -> ParsedFile:
    kind = kind_of(rel_path)
    if kind is None:
        raise ValueError(f"{rel_path} is not under customers/, content/ or playbook/")
    result = ParsedFile(path=rel_path, kind=kind, item=None)
    try:
        doc = split(text)
    except FrontMatterError as exc:
        result.problems.append(Problem(path=rel_path, line=exc.line, message=exc.message))
        if kind == "customer":
            result.raw = lenient.raw_identity(text)
        return result
    result.key_lines = doc.key_lines
    try:
        if kind == "customer":
            result.item = _customer(rel_path, doc, result.problems)
        elif kind == "content":
            result.item = _content(rel_path, doc, result.problems)
        else:
            result.item = _playbook(rel_path, doc, result.problems)
    except Exception as exc:  # a file we failed to foresee must still not stop the others
        result.item = None
        log.warning("could not parse %s", rel_path, exc_info=True)
        message = f"could not read this file ({type(exc).__name__}: {str(exc)[:100]}); please report it"
        result.problems.append(Problem(path=rel_path, line=1, message=message))
    if kind == "customer" and result.item is None:
        result.raw = lenient.raw_identity(text)
    return result


def _validate(model: type[M], rel_path: str, doc: Document, extra: dict[str, Any], problems: list[Problem]) -> M | None:
    return lenient.validate(model, rel_path, doc, extra, problems).item


def _sections(doc: Document) -> dict[str, list[tuple[int, str]]]:
    """Body lines grouped by `## Heading` (lower-cased); text before any heading is ''."""
    out: dict[str, list[tuple[int, str]]] = {"": []}
    current = ""
    for offset, line in enumerate(doc.body.splitlines()):
        match = HEADING_RE.match(line)
        if match:
            current = match["title"].strip().lower()
            out.setdefault(current, [])
            continue
        out[current].append((doc.body_line + offset, line))
    return out


def _blocks(lines: list[tuple[int, str]]) -> list[Section]:
    """Paragraphs of a section, each with the line it starts on."""
    blocks: list[Section] = []
    start, buf = 0, list[str]()
    for number, line in [*lines, (0, "")]:
        if line.strip():
            if not buf:
                start = number
            buf.append(line.strip())
        elif buf:
            blocks.append(Section(line=start, text="\n".join(buf)))
            buf = []
    return blocks


def _history(rel_path: str, lines: list[tuple[int, str]], problems: list[Problem]) -> list[HistoryEntry]:
    items: list[tuple[int, str]] = []
    for number, line in lines:
        match = LIST_ITEM_RE.match(line)
        if match:
            items.append((number, match["item"].strip()))
        elif line.strip() and items:  # a wrapped continuation of the previous item
            items[-1] = (items[-1][0], f"{items[-1][1]} {line.strip()}")
        elif line.strip():
            problems.append(
                Problem(
                    path=rel_path,
                    line=number,
                    message="text under ## History is not a list item; ignored",
                    severity="warning",
                )
            )
    return [_history_entry(rel_path, number, item, problems) for number, item in items]


def _history_entry(rel_path: str, number: int, item: str, problems: list[Problem]) -> HistoryEntry:
    def undated(reason: str) -> HistoryEntry:
        message = f"malformed history line ({reason}); kept as an undated note"
        problems.append(Problem(path=rel_path, line=number, message=message, severity="warning"))
        return HistoryEntry(line=number, text=item)

    match = HISTORY_RE.match(item)
    if not match:
        return undated("expected '- YYYY-MM-DD CHANNEL in|out[ (AUTHOR)]: TEXT'")
    try:
        date = dt.date.fromisoformat(_iso(match["date"]))
    except ValueError:
        return undated(f"bad date {match['date']!r}")
    channel = match["channel"]
    if channel not in HISTORY_CHANNELS:
        return undated(f"unknown channel {channel!r}, expected one of {', '.join(HISTORY_CHANNELS)}")
    if match["direction"] not in ("in", "out"):
        return undated(f"direction must be 'in' or 'out', got {match['direction']!r}")
    return HistoryEntry(
        line=number,
        text=match["text"].strip(),
        date=date,
        channel=channel,  # type: ignore[arg-type]
        direction=match["direction"],  # type: ignore[arg-type]
        author=(match["author"] or "").strip() or None,
    )


def _iso(date: str) -> str:
    year, month, day = date.split("-")
    return f"{year}-{int(month):02d}-{int(day):02d}" if len(month) <= 2 and len(day) <= 2 else date


def _customer_facts(rel_path: str, doc: Document, problems: list[Problem]) -> None:
    """Check `facts:` key by key: a bad fact is reported on its own line and dropped; the customer stays."""
    raw = doc.data.get("facts")
    if raw is None:
        return
    if not isinstance(raw, dict):
        problems.append(
            Problem(
                path=rel_path,
                line=doc.line_of(("facts",)),
                message="facts must be a mapping of 'key: value' lines; ignored",
                severity="warning",
            )
        )
        doc.data.pop("facts")
        return
    kept: dict[str, object] = {}
    for key, value in raw.items():
        try:
            Customer.model_validate({"id": "x", "name": "x", "segment": "b2c", "facts": {key: value}})
        except ValidationError as exc:
            message = exc.errors()[0]["msg"].removeprefix("Value error, ")
            line = doc.key_lines.get(f"facts.{key}", doc.line_of(("facts",)))
            problems.append(Problem(path=rel_path, line=line, message=f"{message}; fact ignored", severity="warning"))
            continue
        kept[key] = value
    doc.data["facts"] = kept


def _customer(rel_path: str, doc: Document, problems: list[Problem]) -> Customer | None:
    _customer_facts(rel_path, doc, problems)
    sections = _sections(doc)
    history = _history(rel_path, sections.get("history", []), problems)
    notes = _blocks(sections.get("notes", []))
    private = _blocks(sections.get("private", []))
    fact_lines = {fact_key(k[6:]): n for k, n in doc.key_lines.items() if k.startswith("facts.") and k.count(".") == 1}
    extra = {"path": rel_path, "history": history, "notes": notes, "private": private, "fact_lines": fact_lines}
    outcome = lenient.validate(Customer, rel_path, doc, extra, problems)
    customer = outcome.item
    if customer is None:
        return None
    if any(loc[0] == "contact" for loc in outcome.dropped):
        customer = lenient.careful_consent(rel_path, doc, customer, outcome.data.get("contact"), problems)
    if customer.contact.channels == []:
        problems.append(
            Problem(
                path=rel_path,
                line=doc.line_of(("contact", "channels")),
                message="contact.channels is empty: no channel is allowed, so no drafts",
                severity="warning",
            )
        )
    return customer


def _content(rel_path: str, doc: Document, problems: list[Problem]) -> ContentItem | None:
    summary = doc.body.strip()
    extra = {"path": rel_path, "summary": summary, "body_line": doc.body_line}
    return _validate(ContentItem, rel_path, doc, extra, problems)


def playbook_sections(body: str, body_line: int) -> list[PlaybookSection]:
    """A playbook body cut at its `#`/`##` headings; `## Staff only` sections are marked as such."""
    sections: list[PlaybookSection] = []
    heading: str | None = None
    start, buf = body_line, list[str]()

    def close() -> None:
        text = "\n".join(buf).strip()
        if text:
            staff = heading is not None and STAFF_ONLY_RE.match(heading) is not None
            sections.append(PlaybookSection(line=start, heading=heading, text=text, staff_only=staff))

    for offset, line in enumerate(body.splitlines()):
        match = TOP_HEADING_RE.match(line)
        if match:
            close()
            heading, buf = match["title"].strip(), []
            continue
        if not buf and not line.strip():
            continue
        if not buf:
            start = body_line + offset
        buf.append(line)
    close()
    return sections


def _playbook(rel_path: str, doc: Document, problems: list[Problem]) -> PlaybookDoc | None:
    sections = playbook_sections(doc.body, doc.body_line)
    extra = {"path": rel_path, "body": doc.body, "body_line": doc.body_line, "sections": sections}
    return _validate(PlaybookDoc, rel_path, doc, extra, problems)
