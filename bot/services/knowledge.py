"""The knowledge the services read: the parsed folder, the index, the customer finder.

One object per process, built once and passed down. A reload swaps in a new
snapshot atomically, so a question being answered never sees half an update:
it keeps the snapshot (and the index generation) it started with. A replica
that does not own the index follows the owner: it reloads when the owner writes
a new manifest (`follow`), within FOLLOW_INTERVAL seconds plus one reload.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import threading
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from bot.config import Settings
from bot.guard import Identities
from bot.index.failpoints import failpoint
from bot.index.indexer import Index, IndexBusy, SyncReport
from bot.knowledge import folder
from bot.knowledge.folder import KnowledgeBase
from bot.knowledge.models import Customer
from bot.knowledge.writer import append_history, erase_file, history_line
from bot.services.drafts import response_time
from bot.services.facts import FactChooser
from bot.services.feedback import FeedbackLog
from bot.services.health import Health
from bot.services.lookup import CustomerFinder
from bot.services.meaning import Meaning
from bot.services.text import words

log = logging.getLogger(__name__)

FOLLOW_INTERVAL = 1.0  # seconds between a replica's looks at the owner's manifest


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
    def __init__(self, settings: Settings, index: Index | None = None, health: Health | None = None) -> None:
        self.settings = settings
        self.index = index or Index(settings)
        self.health = health or Health()
        self.feedback = FeedbackLog.for_settings(settings)
        # An erasure finished after a crash scrubs the feedback log too, whoever finishes it.
        self.index.scrubbers.append(self.feedback.forget_customer)
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        # One per process: the playbook's sentence vectors are kept across reloads.
        self.meaning = Meaning(self.index.embedder)
        self._loaded: tuple[int, int] | None = None  # the manifest the snapshot was loaded after

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
        state = self.index.state()  # read first: an update while loading is picked up by the next look
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
            old, self._snapshot, self._loaded = self._snapshot, snap, state
        if old is not None and old.finder.store is not snap.finder.store:
            # The old store closes (and frees its generation for removal) when nothing holds it; if it
            # sits in a reference cycle only a full collection frees it, so erasure does not wait on one.
            del old
            gc.collect()
        return snap

    def behind(self) -> bool:
        """True when the owner wrote the manifest after this process last loaded it."""
        return self.index.state() != self._loaded

    def follow(self, interval: float = FOLLOW_INTERVAL) -> Follower:
        """Reload whenever the index's owner commits a change (for replicas that do not own it)."""
        follower = Follower(self, interval)
        follower.start()
        return follower

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
        """Erase a customer: recorded first, so a crash at any later step is finished by the next sync."""
        customer = self.customer(customer_id)
        self.index.erasures.begin(customer_id, [customer.path])
        failpoint("erasure-recorded")
        erase_file(self.root / customer.path)
        failpoint("file-erased")
        self.feedback.forget_customer(customer_id)
        failpoint("feedback-scrubbed")
        erased = self._try_sync()
        if erased:
            self.index.reaper.drain()  # the old generation leaves the disk before `forget` returns
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


class Follower:
    """A replica's background look at the owner's manifest; a failed reload is reported in health."""

    def __init__(self, knowledge: Knowledge, interval: float) -> None:
        self.knowledge = knowledge
        self.interval = interval
        self.reloads = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rapport-follower", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if self.knowledge.behind():
                self.check()

    def check(self) -> None:
        health = self.knowledge.health
        started = time.monotonic()
        try:
            self.knowledge.reload()
        except Exception:
            log.exception("reloading the index its owner updated failed; answering from the previous one")
            health.report("index", False, "this replica could not load the index its owner updated; see the log")
            return
        self.reloads += 1
        health.report("index", True)
        log.info("index updated by its owner: reloaded in %.2f s", time.monotonic() - started)
