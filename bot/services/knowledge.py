"""The knowledge the services read: the parsed folder, the index, the customer finder.

One object per process, built once and passed down. A reload swaps in a new
snapshot atomically, so a question being answered never sees half an update:
it keeps the snapshot (and the index generation) it started with. A replica
that does not own the index follows the owner: it reloads when the owner writes
a new manifest (`follow`), within FOLLOW_INTERVAL seconds plus one reload.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from bot import heap
from bot.config import Settings
from bot.core.answer import Answer
from bot.guard import Identities
from bot.index.failpoints import failpoint
from bot.index.indexer import Index, IndexBusy, SyncReport
from bot.knowledge import cache as parse_cache
from bot.knowledge import folder
from bot.knowledge.folder import BrokenCustomer, KnowledgeBase
from bot.knowledge.models import Customer
from bot.knowledge.writer import append_history, erase_file, history_line
from bot.services.drafts import response_time
from bot.services.facts import FactChooser
from bot.services.feedback import FeedbackLog
from bot.services.health import Health
from bot.services.lookup import CustomerFinder
from bot.services.meaning import Meaning
from bot.services.text import fold, words

log = logging.getLogger(__name__)

FOLLOW_INTERVAL = 1.0  # seconds between a replica's looks at the owner's manifest
WARM_ANSWERS = 3  # answers after a load whose long-lived leftovers are frozen (heap.settle)


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
    def binding(self) -> tuple[str, ...]:
        """The playbook's customer-facing text and its perks: what every draft's claims may rest on."""
        texts = [doc.public_text for doc in self.kb.playbook]  # anything said to customers may be stated
        return (*texts, *(f"{perk.name}." for doc in self.kb.playbook for perk in doc.perks))

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
    customer_id: str | None  # None: a file too broken to name its id
    name: str | None
    broken: BrokenCustomer | None = None

    @property
    def shown(self) -> str:
        who = " ".join(filter(None, [self.name, f"({self.customer_id})" if self.customer_id else None]))
        return ", ".join(filter(None, [who, self.path])) + (" (the file has errors)" if self.broken else "")


class UnknownCustomer(LookupError):
    pass


class BrokenFile(LookupError):
    """The customer's file cannot be read: the message says which file, which line, and what to do."""


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
        self.meaning = Meaning(lambda texts: self.index.embedder(texts))  # the model loads on first use
        self._loaded: tuple[int, int] | None = None  # the manifest the snapshot was loaded after
        self._settles_left = 0

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
        with heap.loading():
            snap = self._load()
            with self._lock:
                old, self._snapshot, self._loaded = self._snapshot, snap, state
            # The old snapshot is freed in the background, a slice at a time once no answer holds it
            # (heap.let_go). When the store moved (an erasure), it goes at once by reference counting:
            # its store closes and frees the old generation for removal, so erasure does not wait.
            moved = old is not None and old.finder.store is not snap.finder.store
            if old is not None and not moved:
                heap.let_go(old, shared=(snap.meaning, snap.finder.store))
            del old
            # Frozen before collections resume: the first one would otherwise walk the whole new folder.
            heap.settle(full=moved)
            self._settles_left = WARM_ANSWERS
        return snap

    def warm_up(self) -> None:
        """Build now what the first answer would otherwise build: Chroma's vector index read from disk
        (2 s at 10,000 customers), the fact chooser (the playbook's sentences embedded), the guard's
        identities, its language model, every language's value patterns (their compilation holds the
        GIL up to 70 ms) and the claims of the playbook's text. For a serving process, in a background
        thread once it is ready, so that the first question after a start is answered as fast as the
        next ones, and no answer after it compiles anything."""
        started = time.monotonic()
        try:
            snap = self.snapshot()
            if snap.finder.store is not None:
                snap.finder.store.query("customers", "warm up", n=1)
            _ = (snap.facts, snap.identities)  # cached properties: built here
            from bot.guard.context import offer_subjects
            from bot.language.claims import fact_claims
            from bot.language.detect import detect
            from bot.language.lexicon import lexicons
            from bot.language.values import reader
            from bot.services import reading, signals

            reading.lexicon()
            signals.advocacy_pairs()
            detect("Thanks for your message, we will answer your question about the order soon.")
            for code in lexicons():
                _ = reader(code).patterns
            for text in snap.binding:  # cached by text: every answer's guard reads these same texts
                fact_claims(text)
                offer_subjects(text)
        except Exception:  # a warm-up is an optimisation: the first answer builds whatever failed here
            log.warning("warming up for the first answer failed; it will build what it needs", exc_info=True)
            return
        heap.settle()  # what it built lives as long as the snapshot: out of full collections
        log.info("warmed up for the first answer in %.1f s", time.monotonic() - started)

    def answered(self) -> None:
        """Called after each answer. The first few answers on a fresh load build what later answers
        reuse (the guard's identities, the fact chooser's vectors, query caches); frozen after each
        of them, full collections stop walking those too (they took 58–108 ms at 10,000 customers)."""
        if self._settles_left > 0:
            self._settles_left -= 1
            heap.settle()

    def _load(self) -> Snapshot:
        kb = folder.load(self.root, cache=self.index.parse_cache)
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
        return Snapshot(
            kb=kb, finder=CustomerFinder(kb.customers, self.index.store(), vocabulary), meaning=self.meaning
        )

    def behind(self) -> bool:
        """True when the owner wrote the manifest after this process last loaded it."""
        return self.index.state() != self._loaded

    def follow(self, interval: float = FOLLOW_INTERVAL) -> Follower:
        """Reload whenever the index's owner commits a change (for replicas that do not own it)."""
        follower = Follower(self, interval)
        follower.start()
        return follower

    def sync(
        self, full: bool = False, wait: float = 0, progress: object = None, paths: Iterable[str] | None = None
    ) -> SyncReport:
        """Sync the index, then load the folder; `paths`: the files a watcher saw change (Index.sync)."""
        report = self.index.sync(full=full, wait=wait, progress=progress, paths=paths)  # type: ignore[arg-type]
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
                return ErasureTarget(path, None, None)
            return ErasureTarget(path, broken.id, broken.name, broken)
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
        """Erase a customer (`ref`: an id, a file path or an erasure target), readable or not: recorded
        first, so a crash at any later step is finished by the next sync."""
        target = ref if isinstance(ref, ErasureTarget) else self.erasure_target(ref)
        self.index.erasures.begin(target.customer_id, [target.path])
        failpoint("erasure-recorded")
        erase_file(self.root / target.path)
        parse_cache.forget(self.index.parse_cache, [target.path])  # also when the running bot owns the index
        failpoint("file-erased")
        if target.customer_id:
            self.feedback.forget_customer(target.customer_id)
        failpoint("feedback-scrubbed")
        erased = self._try_sync()
        if erased:
            self.index.reaper.drain()  # the old generation leaves the disk before `forget` returns
        return ForgetResult(target.customer_id or target.path, target.path, erased)

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
