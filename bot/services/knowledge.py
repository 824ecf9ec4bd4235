"""The knowledge the services read: the parsed folder, the index, the customer finder.

One object per process, built once and passed down. A reload swaps in a new
snapshot atomically, so a question being answered never sees half an update.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from bot.config import Settings
from bot.guard import Identities
from bot.index.indexer import Index, IndexBusy, SyncReport
from bot.knowledge import folder
from bot.knowledge.folder import KnowledgeBase
from bot.knowledge.models import Customer
from bot.knowledge.writer import append_history, erase_file, history_line
from bot.services.drafts import response_time
from bot.services.facts import FactChooser
from bot.services.lookup import CustomerFinder
from bot.services.meaning import Meaning
from bot.services.text import words

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


class UnknownCustomer(LookupError):
    pass


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
            found = self.reload().kb.customers.get(customer_id)
        if found is None:
            raise UnknownCustomer(f"no customer with id '{customer_id}' in {self.root}/customers")
        return found

    def add_note(
        self, customer_id: str, text: str, channel: str = "chat", direction: str = "out", author: str | None = None
    ) -> NoteResult:
        """Append a history entry; the entry is on disk before this returns, indexed or not."""
        customer = self.customer(customer_id)
        line = history_line(self.today(), channel, direction, text, author)
        number = append_history(self.root / customer.path, line)
        indexed = self._try_sync()
        return NoteResult(customer_id, customer.path, number, indexed)

    def forget(self, customer_id: str) -> ForgetResult:
        customer = self.customer(customer_id)
        erase_file(self.root / customer.path)
        erased = self._try_sync()
        return ForgetResult(customer_id, customer.path, erased)

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
