"""Keep the Chroma index in step with the knowledge folder, incrementally.

One writer per index: a process-wide file lock (`index.lock`) is held while
writing, because two processes adding to one embedded Chroma folder silently
lose vectors. Erasing a customer compacts the store into a fresh generation
folder and removes the old one: Chroma's `delete` leaves text and vectors in
its files on disk until the collection is rebuilt.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from filelock import FileLock, Timeout

from bot.config import Settings
from bot.index.documents import records_for
from bot.index.embedding import MiniLMEmbedding
from bot.index.manifest import MANIFEST, RECORDS_VERSION, FileEntry, Manifest, read_manifest, write_manifest
from bot.index.store import COLLECTIONS, ChromaTarget, CollectionName, Record, VectorStore
from bot.knowledge import files
from bot.knowledge.files import Entry, Unreadable
from bot.knowledge.folder import digest, parse_bytes, require_root, unreadable
from bot.knowledge.models import Customer, Problem

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
GROUP = 256  # files embedded together: big batches are fast, bounded ones keep memory flat


class IndexBusy(RuntimeError):
    """Another process is writing this index (usually the running bot)."""


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    embedded: int = 0
    records: int = 0
    compacted: bool = False
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


class Index:
    """The index at CHROMA_PATH (or on a Chroma server) for one knowledge folder."""

    def __init__(self, settings: Settings, embedder: MiniLMEmbedding | None = None) -> None:
        self.settings = settings
        self.root = settings.knowledge_dir
        self.dir = settings.chroma_path
        self.embedder = embedder or MiniLMEmbedding()
        self._file_lock = FileLock(str(self.dir / "index.lock"), thread_local=False)
        self._thread_lock = threading.RLock()
        self._store: VectorStore | None = None
        self._store_generation = -1
        self._scopes: dict[str, list[str]] | None = None
        self._manifest_cache: tuple[tuple[int, int], Manifest] | None = None

    # -- reading -----------------------------------------------------------------

    def manifest(self) -> Manifest:
        """The manifest on disk, read-only (parsed again only when the file changed: it is large at scale)."""
        path = self.dir / MANIFEST
        try:
            stat = path.stat()
        except FileNotFoundError:
            return Manifest()
        key = (stat.st_mtime_ns, stat.st_size)
        cached = self._manifest_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        manifest = read_manifest(self.dir) or Manifest()
        self._manifest_cache = (key, manifest)
        return manifest

    def _remember(self, manifest: Manifest) -> None:
        stat = (self.dir / MANIFEST).stat()
        self._manifest_cache = ((stat.st_mtime_ns, stat.st_size), manifest)

    def _target(self, generation: int) -> ChromaTarget:
        s = self.settings
        if s.chroma_host:
            return ChromaTarget(host=s.chroma_host, port=s.chroma_port, prefix=f"rapport_g{generation}_")
        return ChromaTarget(path=self.dir / f"gen-{generation:06d}")

    def store(self) -> VectorStore:
        """The store of the current generation (reopened when a compaction moved it)."""
        with self._thread_lock:
            generation = self.manifest().generation
            if self._store is None or generation != self._store_generation:
                if self._store is not None:
                    self._store.close()
                self._store = VectorStore(self._target(generation), self.embedder, self.settings.hnsw_ef_search)
                self._store.scope_ids = self.customer_ids
                self._store_generation = generation
            return self._store

    def customer_ids(self, customer_id: str) -> list[str] | None:
        """The record ids of one customer (None when the index does not know them)."""
        scopes = self._scopes  # no lock: a sync replaces the whole dict, so readers never wait on it
        if scopes is None:
            scopes = self._scopes = _scopes(self.manifest())
        return scopes.get(customer_id)

    # -- writing -----------------------------------------------------------------

    def lock(self, wait: float = 0) -> AbstractContextManager[object]:
        """Take the writer lock (re-entrant in this process); raises IndexBusy if another process holds it.

        Use as `with index.lock():`, or call it once and keep it for a process's lifetime (the bot).
        """
        self.dir.mkdir(parents=True, exist_ok=True)
        try:
            return self._file_lock.acquire(timeout=wait)
        except Timeout as exc:
            raise IndexBusy(f"the index at {self.dir} is being written by another process") from exc

    def sync(self, full: bool = False, progress: Progress | None = None, wait: float = 0) -> SyncReport:
        with self._thread_lock, self.lock(wait):
            return self._sync(full, progress)

    def _sync(self, full: bool, progress: Progress | None) -> SyncReport:
        # A missing or mistyped folder is an error, never "every file was deleted": the index stays as it is.
        require_root(self.root)
        manifest = read_manifest(self.dir)
        if manifest is None or full or manifest.version != RECORDS_VERSION:
            manifest = self._fresh(manifest)
        store = self.store()
        report = SyncReport()
        listed = files.scan(self.root)
        on_disk = [e.rel for e in listed]
        todo = self._changed(manifest, listed, report)
        for start in range(0, len(todo), GROUP):
            self._index_group(store, manifest, todo[start : start + GROUP], report)
            if progress:
                progress(min(start + GROUP, len(todo)), len(todo))
        gone = sorted(set(manifest.files) - set(on_disk))
        erased = False
        for rel in gone:
            entry = manifest.files.pop(rel)
            store.delete_ids(entry.collection, entry.ids)  # type: ignore[arg-type]
            report.deleted.append(rel)
            erased = erased or entry.collection == "customers"
        self._check_duplicates(manifest)
        manifest.synced_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        write_manifest(self.dir, manifest)
        self._remember(manifest)
        self._scopes = _scopes(manifest)
        if erased:
            self._compact(manifest)
            report.compacted = True
        report.problems = manifest.problems
        report.records = manifest.record_count()
        return report

    def _fresh(self, old: Manifest | None) -> Manifest:
        generation = (old.generation + 1) if old else 1
        new = Manifest(generation=generation)
        write_manifest(self.dir, new)
        self._drop_generation(old.generation if old else 0)  # gen 0: opened by readers before any build
        self.store().drop_all()
        return new

    def _changed(self, manifest: Manifest, listed: list[Entry], report: SyncReport) -> list[tuple[Entry, bytes | None]]:
        """Files to (re)index, with their bytes (None: the file cannot be read; its entry says why)."""
        todo: list[tuple[Entry, bytes | None]] = []
        for listed_entry in listed:
            rel, entry = listed_entry.rel, manifest.files.get(listed_entry.rel)
            if listed_entry.problem is not None:
                if entry and not entry.ids and entry.problems == [listed_entry.problem]:
                    report.unchanged += 1
                else:
                    (report.changed if entry else report.added).append(rel)
                    todo.append((listed_entry, None))
                continue
            if entry and entry.hash and entry.mtime_ns == listed_entry.mtime_ns and entry.size == listed_entry.size:
                report.unchanged += 1
                continue
            try:
                raw, opened = files.read(self.root, rel)
            except Unreadable as exc:
                (report.changed if entry else report.added).append(rel)
                todo.append((Entry(rel=rel, problem=exc.problem), None))
                continue
            if entry and entry.hash == digest(raw):
                entry.mtime_ns, entry.size = opened.mtime_ns, opened.size
                report.unchanged += 1
                continue
            (report.changed if entry else report.added).append(rel)
            todo.append((opened, raw))
        return todo

    def _index_group(
        self, store: VectorStore, manifest: Manifest, group: list[tuple[Entry, bytes | None]], report: SyncReport
    ) -> None:
        pending: dict[CollectionName, list[Record]] = {name: [] for name in COLLECTIONS}
        for listed, raw in group:
            rel = listed.rel
            if raw is None:
                parsed = unreadable(rel, listed.problem or Problem(path=rel, message="cannot be read; skipped"))
            else:
                parsed = parse_bytes(rel, raw)
            collection, records = records_for(parsed, self.embedder.split_to_windows)
            old = manifest.files.get(rel)
            if old:
                # Delete, then add: Chroma updates an existing id in place about 3x slower than it
                # deletes it and inserts it again (measured at 10,000 customers).
                store.delete_ids(old.collection, old.ids)  # type: ignore[arg-type]
            item = parsed.item
            manifest.files[rel] = FileEntry(
                hash=digest(raw) if raw is not None else "",
                mtime_ns=listed.mtime_ns,
                size=listed.size,
                collection=collection,
                ids=[r.id for r in records],
                customer_id=item.id if isinstance(item, Customer) else None,
                problems=parsed.problems,
            )
            pending[collection].extend(records)
        for name, records in pending.items():
            if records:
                vectors = self.embedder([r.text for r in records])
                report.embedded += len(records)
                for record, vector in zip(records, vectors, strict=True):
                    record.embedding = [float(x) for x in vector]
                store.add(name, records)

    def _check_duplicates(self, manifest: Manifest) -> None:
        """A second file with an already-used customer id is reported and left out of lookups."""
        seen: dict[str, str] = {}
        # The older file keeps the id, as in folder.load.
        for rel in sorted(manifest.files, key=lambda r: (manifest.files[r].mtime_ns, r)):
            entry = manifest.files[rel]
            entry.problems = [p for p in entry.problems if not p.message.startswith("duplicate customer id")]
            if entry.customer_id is None:
                continue
            if entry.customer_id in seen:
                entry.problems.append(
                    Problem(
                        path=rel,
                        line=1,
                        message=f"duplicate customer id '{entry.customer_id}' "
                        f"(already used by {seen[entry.customer_id]})",
                    )
                )
            else:
                seen[entry.customer_id] = rel

    def _compact(self, manifest: Manifest) -> None:
        """Copy every live record into a new generation, then remove the old one from disk."""
        old_store = self.store()
        dumps = {name: old_store.dump(name) for name in COLLECTIONS}
        old_generation = manifest.generation
        manifest.generation = old_generation + 1
        new_store = VectorStore(self._target(manifest.generation), self.embedder, self.settings.hnsw_ef_search)
        new_store.drop_all()
        for name, records in dumps.items():
            new_store.add(name, records)
        write_manifest(self.dir, manifest)
        old_store.drop_all()
        old_store.close()
        self._store, self._store_generation = new_store, manifest.generation
        self._drop_generation(old_generation)

    def _drop_generation(self, generation: int | None) -> None:
        if generation is None or self.settings.chroma_host:
            return
        if self._store is not None and self._store_generation == generation:
            self._store.close()
            self._store, self._store_generation = None, -1
        shutil.rmtree(self.dir / f"gen-{generation:06d}", ignore_errors=True)

    def close(self) -> None:
        with self._thread_lock:
            if self._store is not None:
                self._store.close()
                self._store = None


def _scopes(manifest: Manifest) -> dict[str, list[str]]:
    return {e.customer_id: e.ids for e in manifest.files.values() if e.customer_id}
