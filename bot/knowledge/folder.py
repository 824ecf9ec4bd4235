"""Read a whole knowledge folder: every file parsed, every problem collected."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot import heap
from bot.knowledge import files
from bot.knowledge.cache import ParseCache
from bot.knowledge.files import SUBFOLDERS, FolderError, Unreadable, require_root
from bot.knowledge.models import ContentItem, Customer, PlaybookDoc, Problem
from bot.knowledge.parser import ParsedFile, kind_of, parse_text

__all__ = ["SUBFOLDERS", "BrokenCustomer", "FolderError", "KnowledgeBase", "load", "read_file", "require_root"]


def iter_files(root: Path) -> Iterator[str]:
    """Relative paths of every readable knowledge file, skipping names that start with '.' or '_'."""
    yield from (e.rel for e in files.scan(root) if e.problem is None)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_bytes(rel: str, raw: bytes) -> ParsedFile:
    """Parse a file's bytes (UTF-8; a byte-order mark from Notepad is not part of the text)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problem = Problem(path=rel, line=line, message="file is not valid UTF-8 (save it as UTF-8)")
        return unreadable(rel, problem)
    return parse_text(rel, text)


def unreadable(rel: str, problem: Problem) -> ParsedFile:
    return ParsedFile(path=rel, kind=kind_of(rel) or "customer", item=None, problems=[problem])


def read_file(root: Path, rel: str) -> tuple[ParsedFile, str]:
    """Parse one file; returns the parse and the content hash ('' when the file could not be read)."""
    try:
        raw, _ = files.read(root, rel)
    except Unreadable as exc:
        return unreadable(rel, exc.problem), ""
    return parse_bytes(rel, raw), digest(raw)


@dataclass(frozen=True)
class BrokenCustomer:
    """A customer file that is not served, kept so the customer stays findable and erasable."""

    path: str
    line: int
    message: str
    id: str | None = None
    name: str | None = None
    email: str | None = None

    @property
    def explanation(self) -> str:
        return f"{self.path} has errors (line {self.line}): fix it with `rapport check`"


@dataclass
class KnowledgeBase:
    root: Path
    customers: dict[str, Customer] = field(default_factory=dict)
    content: list[ContentItem] = field(default_factory=list)
    playbook: list[PlaybookDoc] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)
    broken: list[BrokenCustomer] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def customer_by_path(self, rel: str) -> Customer | None:
        return next((c for c in self.customers.values() if c.path == rel), None)

    def broken_by_path(self, rel: str) -> BrokenCustomer | None:
        return next((b for b in self.broken if b.path == rel), None)


def load(root: Path, cache: Path | None = None) -> KnowledgeBase:
    """Parse the folder; raises FolderError when it is missing or is not a knowledge folder.

    With `cache` (a folder of the index's), files unchanged since a load saved them there are not
    parsed again (`cache.py`).
    """
    require_root(root)
    parse_cache = ParseCache(cache) if cache is not None else None
    with heap.loading():  # every object built here lives on: collections meanwhile would walk them for nothing
        kb = _load(root, parse_cache)
    if parse_cache is not None:
        # The cache read back a whole parse of the folder; what the new folder does not keep of it,
        # 10,000 customers' worth, would be freed in one 50 ms chain when this function returns.
        heap.let_go(parse_cache)
        del parse_cache
    return kb


def _load(root: Path, cache: ParseCache | None) -> KnowledgeBase:
    kb = KnowledgeBase(root=root)
    parsed_files: list[tuple[ParsedFile, str, int]] = []
    listing = files.scan(root)
    for listed in listing:
        if listed.problem is not None:
            parsed_files.append((unreadable(listed.rel, listed.problem), "", listed.mtime_ns))
            continue
        cached = cache.get(listed) if cache is not None else None
        if cached is not None:
            parsed_files.append((cached.parsed, cached.digest, cached.mtime_ns))
            continue
        try:
            raw, opened = files.read(root, listed.rel)
        except Unreadable as exc:
            parsed_files.append((unreadable(listed.rel, exc.problem), "", 0))
            continue
        parsed = parse_bytes(listed.rel, raw)
        parsed_files.append((parsed, digest(raw), opened.mtime_ns))
        if cache is not None:
            cache.put(opened, parsed_files[-1][1], parsed)
    if cache is not None:
        cache.save({e.rel for e in listing})
    # With a duplicate customer id, the file that was there first keeps it: a copied template or a
    # new file must not take over an existing customer (and the lookups by their email).
    parsed_files.sort(key=lambda p: (p[2] if isinstance(p[0].item, Customer) else 0, p[0].path))
    for parsed, file_hash, _ in parsed_files:
        kb.hashes[parsed.path] = file_hash
        kb.problems.extend(parsed.problems)
        add(kb, parsed)
    kb.customers = dict(sorted(kb.customers.items(), key=lambda pair: pair[1].path))
    kb.content.sort(key=lambda c: c.path)
    kb.playbook.sort(key=lambda p: p.path)
    kb.problems.sort(key=lambda p: (p.path, p.line))
    kb.broken.sort(key=lambda b: b.path)
    return kb


def add(kb: KnowledgeBase, parsed: ParsedFile) -> None:
    item = parsed.item
    if isinstance(item, Customer):
        first = kb.customers.get(item.id)
        if first is not None and first.path != item.path:
            problem = Problem(
                path=item.path,
                line=parsed.key_lines.get("id", 1),
                message=f"duplicate customer id '{item.id}' (already used by {first.path}, the older file); "
                "file skipped",
            )
            kb.problems.append(problem)
            kb.broken.append(BrokenCustomer(item.path, problem.line, problem.message, None, item.name, item.email))
            return
        kb.customers[item.id] = item
    elif isinstance(item, ContentItem):
        kb.content.append(item)
    elif isinstance(item, PlaybookDoc):
        kb.playbook.append(item)
    elif parsed.kind == "customer" and parsed.path.endswith(".md"):
        error = next((p for p in parsed.problems if p.severity == "error"), None)
        line, message = (error.line, error.message) if error else (1, "could not be read")
        raw = parsed.raw
        kb.broken.append(BrokenCustomer(parsed.path, line, message, raw.get("id"), raw.get("name"), raw.get("email")))
