"""The knowledge the services read: the parsed folder, the index, the customer finder.

One object per process, built once and passed down. A reload swaps in a new
snapshot atomically, so a question being answered never sees half an update.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from bot.config import Settings
from bot.core.answer import Answer
from bot.index.indexer import Index, IndexBusy, SyncReport
from bot.knowledge import folder
from bot.knowledge.folder import BrokenCustomer, KnowledgeBase
from bot.knowledge.models import Customer
from bot.knowledge.writer import append_history, erase_file, history_line
from bot.services.drafts import response_time
from bot.services.facts import FactChooser
from bot.services.guard import Identities
from bot.services.lookup import CustomerFinder
from bot.services.meaning import Meaning
from bot.services.text import fold, words

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    kb: KnowledgeBase
    finder: CustomerFinder
    meaning: Meaning | None = None

    @cached_property
    def response_time(self) -> tuple[int, str] | None:
        """How soon the playbook says customers get an answer (working days, file), if it says."""
        return response_time([(doc.path, doc.public_text) for doc in self.kb.playbook])

    @cached_property
    def facts(self) -> FactChooser:
        """Playbook sentences and the folder's fact values, for choosing the facts that answer (built on first use)."""
        return FactChooser(self.kb.playbook, self.kb.customers.values(), self.finder.store, self.meaning)

    @cached_property
    def identities(self) -> Identities:
        """What would name each customer, for the guard's other-customer check (built on first use)."""
        return Identities(self.kb.customers.values())


@dataclass
class NoteResult:
    customer_id: str
    path: str
    line: int
    indexed: bool  # False when another process (the running bot) owns the index


@dataclass
class ForgetResult:
    customer_id: str
    path: str
    erased_from_index: bool


@dataclass(frozen=True)
class ErasureTarget:
    """What `forget` would erase: a customer file, readable or not, and how to name it to a person."""

    path: str
    customer_id: str
    name: str | None
    broken: BrokenCustomer | None = None

    @property
    def shown(self) -> str:
        who = f"{self.name} ({self.customer_id})" if self.name else self.customer_id
        return f"{who}, {self.path}" + (" (the file has errors)" if self.broken else "")


class UnknownCustomer(LookupError):
    pass


class BrokenFile(LookupError):
    """The customer's file cannot be read: the message says which file, which line, and what to do."""


class Knowledge:
    def __init__(self, settings: Settings, index: Index | None = None) -> None:
        self.settings = settings
        self.index = index or Index(settings)
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        # One per process: the playbook's sentence vectors are kept across reloads.
        self.meaning = Meaning(self.index.embedder)

    @property
    def root(self) -> Path:
        return self.settings.knowledge_dir

    def today(self) -> dt.date:
        return self.settings.today()

    def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            self.reload()
        assert self._snapshot is not None
        return self._snapshot

    def reload(self) -> Snapshot:
        kb = folder.load(self.root)
        vocabulary = frozenset(
            words(
                " ".join(
                    [
                        *(f"{i.title} {' '.join(i.topics)} {i.summary}" for i in kb.content),
                        *(f"{d.title} {d.body} {' '.join(p.name for p in d.perks)}" for d in kb.playbook),
                    ]
                )
            )
        )
        snap = Snapshot(
            kb=kb, finder=CustomerFinder(kb.customers, self.index.store(), vocabulary), meaning=self.meaning
        )
        with self._lock:
            self._snapshot = snap
        return snap

    def sync(self, full: bool = False, wait: float = 0, progress: object = None) -> SyncReport:
        report = self.index.sync(full=full, wait=wait, progress=progress)  # type: ignore[arg-type]
        self.reload()
        return report

    def customer(self, customer_id: str) -> Customer:
        found = self.snapshot().kb.customers.get(customer_id)
        if found is None:
            snap = self.reload()
            found = snap.kb.customers.get(customer_id)
            broken = next((b for b in snap.kb.broken if b.id == customer_id), None)
            if found is None and broken is not None:
                raise BrokenFile(broken.explanation)
        if found is None:
            raise UnknownCustomer(f"no customer with id '{customer_id}' in {self.root}/customers")
        return found

    def broken_for(self, query: str) -> list[BrokenCustomer]:
        """Customer files that cannot be read and that the query names (file name, raw name, email or id)."""
        return broken_matches(self.snapshot().kb.broken, query)

    def explain_not_found(self, answer: Answer, asked: str) -> list[BrokenCustomer]:
        """When nobody was found but `asked` names a customer file with errors, the not-found warning
        says which file, which line, and to run `rapport check` (the customer is not just "unknown")."""
        if answer.customer is not None or "customer_not_found" not in answer.codes():
            return []
        broken = self.broken_for(asked)
        if broken:
            text = "; ".join(b.explanation for b in broken)
            for warning in answer.warnings:
                if warning.code == "customer_not_found":
                    warning.message = text
        return broken

    def erasure_target(self, ref: str) -> ErasureTarget:
        """The customer file `ref` names: an id, or a file path (relative to here or to the knowledge
        folder). A file with errors can always be erased: erasure never waits on a parse."""
        kb = self.reload().kb
        path = self._customer_path(ref)
        if path is not None:
            customer = kb.customer_by_path(path)
            if customer is not None:
                return ErasureTarget(path, customer.id, customer.name)
            broken = kb.broken_by_path(path)
            if broken is None:  # a file that was never listed (an undecodable name): erase it by its path
                return ErasureTarget(path, path, None)
            return ErasureTarget(path, broken.id or path, broken.name, broken)
        customer = kb.customers.get(ref)
        if customer is not None:
            return ErasureTarget(customer.path, customer.id, customer.name)
        broken = next((b for b in kb.broken if b.id == ref), None)
        if broken is not None:
            return ErasureTarget(broken.path, ref, broken.name, broken)
        raise UnknownCustomer(f"no customer with id '{ref}' in {self.root}/customers (give an id or the file's path)")

    def _customer_path(self, ref: str) -> str | None:
        """`ref` as a path of a file under customers/, relative to the knowledge folder; None if it is not one."""
        if "/" not in ref and not ref.endswith(".md"):
            return None
        root = self.root.resolve()
        for candidate in (Path(ref), self.root / ref):
            try:
                rel = candidate.absolute().parent.resolve().relative_to(root) / candidate.name
            except (ValueError, OSError, RuntimeError):
                continue
            if rel.parts[:1] == ("customers",) and os.path.lexists(root / rel):
                return rel.as_posix()
        raise UnknownCustomer(f"{ref} is not a file under {self.root}/customers")

    def add_note(
        self, customer_id: str, text: str, channel: str = "chat", direction: str = "out", author: str | None = None
    ) -> NoteResult:
        """Append a history entry; the entry is on disk before this returns, indexed or not."""
        customer = self.customer(customer_id)
        line = history_line(self.today(), channel, direction, text, author)
        number = append_history(self.root / customer.path, line)
        indexed = self._try_sync()
        return NoteResult(customer_id, customer.path, number, indexed)

    def forget(self, ref: str | ErasureTarget) -> ForgetResult:
        """Erase a customer's file and every vector of it; `ref` is an id, a path or an erasure target."""
        target = ref if isinstance(ref, ErasureTarget) else self.erasure_target(ref)
        erase_file(self.root / target.path)
        erased = self._try_sync()
        return ForgetResult(target.customer_id, target.path, erased)

    def _try_sync(self) -> bool:
        try:
            self.sync(wait=5)
        except IndexBusy:
            log.info("index busy: the process that owns it will pick up the change")
            # Reload lazily, on the next question: a note or an erasure needs nothing more now, and
            # opening the store while its owner may still be building it can fail.
            with self._lock:
                self._snapshot = None
            return False
        return True


def broken_matches(broken: list[BrokenCustomer], query: str) -> list[BrokenCustomer]:
    """Broken customer files a query names: every word of the file name or of the raw name line is
    in the query, or the query holds the raw email or id."""
    asked = set(words(query))
    lowered = fold(query)
    found: list[BrokenCustomer] = []
    for b in broken:
        stem = words(Path(b.path).stem)
        named = words(b.name or "")
        exact = [x for x in (b.email, b.id) if x and len(x) >= 3]
        if (stem and set(stem) <= asked) or (named and set(named) <= asked) or any(fold(x) in lowered for x in exact):
            found.append(b)
    return found
