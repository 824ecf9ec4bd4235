"""Keep the Chroma index in step with the knowledge folder, incrementally.

One writer per index: a process-wide file lock (`index.lock`) is held while
writing, because two processes adding to one embedded Chroma folder silently
lose vectors. Erasing a customer compacts the store into a new generation that
holds only the records the manifest knows, commits it by writing the manifest,
and removes the old generation once no answer reads it (Chroma's `delete`
leaves text and vectors in its files until the collection is rebuilt).
Erasures are recorded before they start and finished by the next sync after a
crash (`erasure.py`); a sync killed half-way is followed by a compaction, since
it may have added records the manifest never learnt about.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from filelock import Timeout

from bot.index.documents import records_for
from bot.index.erasure import Erasure
from bot.index.failpoints import failpoint
from bot.index.generations import remove_temp_files
from bot.index.hnsw_files import scrub_generation
from bot.index.manifest import RECORDS_VERSION, FileEntry, Manifest, check_duplicates, write_manifest
from bot.index.reader import IndexReader, StaleGeneration
from bot.index.store import COLLECTIONS, CollectionName, Record, VectorStore
from bot.knowledge import cache as parse_cache
from bot.knowledge import files
from bot.knowledge.files import Entry, Unreadable
from bot.knowledge.folder import digest, parse_bytes, require_root, unreadable
from bot.knowledge.models import Customer, Problem
from bot.knowledge.writer import erase_file

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
GROUP = 256  # files embedded together: big batches are fast, bounded ones keep memory flat
DIRTY = "sync.dirty"  # exists while a sync writes the store: a sync killed half-way is followed by a compaction


class IndexBusy(RuntimeError):
    """Another process is writing this index (usually the running bot)."""


__all__ = ["Index", "IndexBusy", "StaleGeneration", "SyncReport"]


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


class Index(IndexReader):
    """The index, for the one process that writes it (it holds `index.lock`)."""

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

    def sync(
        self, full: bool = False, progress: Progress | None = None, wait: float = 0, paths: Iterable[str] | None = None
    ) -> SyncReport:
        """Bring the index in step with the folder. `paths` (relative, from a watcher that saw them change):
        look at those files only, unless one of them needs a whole scan (see `files.listed_paths`)."""
        with self._thread_lock, self.lock(wait):
            report = self._sync(full, progress, paths)
            path = self._target(self.manifest().generation).path
            if path is not None:  # a Chroma server's files are the server's to keep
                scrub_generation(path)
        self.reaper.collect()  # the old generation goes now if nothing in any process reads it any more
        return report

    def _sync(self, full: bool, progress: Progress | None, paths: Iterable[str] | None = None) -> SyncReport:
        # A missing or mistyped folder is an error, never "every file was deleted": the index stays as it is.
        require_root(self.root)
        erasing = self._resume_erasures()
        manifest = self._manifest_to_change()
        current = manifest.generation if manifest else 0
        self._sweep(current)
        rebuild = manifest is None or full or manifest.version != RECORDS_VERSION
        if manifest is None or rebuild:
            manifest = Manifest(generation=current + 1)
            store = self._open(manifest.generation, fresh=True)  # committed only once complete
        else:
            store = self.store()  # opened under the writer lock: it may create collections
        report = SyncReport()
        wanted = set() if paths is None else set(paths)
        partial = None if rebuild or paths is None else files.listed_paths(self.root, wanted)
        # A folder with indexed files in it that went away (or became a file) needs the whole scan.
        if partial is not None and any(_holds(manifest, rel) for rel in wanted - {e.rel for e in partial[0]}):
            partial = None
        listed, missing = partial if partial is not None else (files.scan(self.root), None)
        on_disk = {e.rel for e in listed}  # with `scan`: only regular files inside; the others carry a problem
        if missing is None:
            gone = sorted(set(manifest.files) - on_disk)
        else:
            gone = [rel for rel in missing if rel in manifest.files]
            report.unchanged = len(set(manifest.files) - on_disk - set(gone))
        todo = self._changed(manifest, listed, report)
        if any(manifest.files[rel].collection == "customers" for rel in gone):
            # Recorded before the manifest forgets the files, so a crash cannot skip the compaction.
            erasing.append(self.erasures.begin(None, [], reason="removed"))
        dirty = self.dir / DIRTY
        interrupted = dirty.exists()
        if todo or gone:
            dirty.touch()
        failpoint("sync-started")
        for start in range(0, len(todo), GROUP):
            self._index_group(store, manifest, todo[start : start + GROUP], report)
            if progress:
                progress(min(start + GROUP, len(todo)), len(todo))
        failpoint("records-added")
        if gone:
            parse_cache.forget(self.parse_cache, gone)  # a file deleted by hand: its parse goes with it
        for rel in gone:
            entry = manifest.files.pop(rel)
            store.delete_ids(entry.collection, entry.ids)  # type: ignore[arg-type]
            report.deleted.append(rel)
        failpoint("records-deleted")
        check_duplicates(manifest)
        manifest.synced_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        if rebuild or erasing or interrupted:
            self._commit(manifest, store if rebuild else self._copy_known(manifest, store))
            report.compacted = bool(erasing or interrupted)
        else:
            write_manifest(self.dir, manifest)
            self._remember(manifest)
        failpoint("generation-retired")
        dirty.unlink(missing_ok=True)
        self.erasures.finish(erasing)
        report.problems = manifest.problems
        report.records = manifest.record_count()
        return report

    def _resume_erasures(self) -> list[Erasure]:
        """Pending erasures (this process's, or a killed one's): their files and other traces go first."""
        erasing = self.erasures.pending()
        for record in erasing:
            for rel in record.paths:
                erase_file(self.root / rel)
            parse_cache.forget(self.parse_cache, record.paths)
            if record.customer_id:
                for scrub in self.scrubbers:
                    scrub(record.customer_id)
        return erasing

    def _copy_known(self, manifest: Manifest, old: VectorStore) -> VectorStore:
        """A new generation with exactly the records the manifest knows, copied with their vectors.

        Records a killed sync added but never wrote into the manifest, and deleted records Chroma
        still keeps in its files, stay behind with the old generation.
        """
        manifest.generation += 1
        new = self._open(manifest.generation, fresh=True)
        for name in COLLECTIONS:
            ids = [i for entry in manifest.files.values() if entry.collection == name for i in entry.ids]
            for batch in old.fetch(name, ids):
                new.add(name, batch)
        failpoint("generation-copied")
        return new

    def _commit(self, manifest: Manifest, store: VectorStore) -> None:
        """Write the manifest naming the new generation (the commit point), then retire the others."""
        write_manifest(self.dir, manifest)
        failpoint("generation-committed")
        self._remember(manifest)
        with self._store_lock:
            self._store, self._store_key = store, (manifest.generation, None)
        self.reaper.retire(self._generations() - {manifest.generation})

    def _sweep(self, current: int) -> None:
        """Generations other than the committed one are strays of an interrupted compaction or rebuild."""
        remove_temp_files(self.dir)
        strays = self._generations() - {current}
        if strays:
            log.info("removing %d stray index generation(s)", len(strays))
            self.reaper.retire(strays)

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
            if entry and entry.hash == digest(raw):  # touched, not changed: a new entry (readers hold the old)
                manifest.files[rel] = entry.model_copy(update={"mtime_ns": opened.mtime_ns, "size": opened.size})
                report.unchanged += 1
                continue
            (report.changed if entry else report.added).append(rel)
            todo.append((opened, raw))
        return todo

    @staticmethod
    def _changed_records(
        store: VectorStore,
        old: FileEntry,
        collection: CollectionName,
        records: list[Record],
        replaced: dict[str, list[str]],
    ) -> list[Record]:
        """The records of a changed file that need writing; the ids it no longer has go into `replaced`.

        A record whose id, text and metadata are what the store holds is kept as it is: an edit that
        adds a line to a customer's history embeds and writes that one line, not the whole file. A
        changed record is deleted and added again, except the file's first (a customer's profile),
        which is overwritten in place, so a replica reading meanwhile always finds the customer.
        """
        new_ids = {r.id for r in records}
        same = [i for i in old.ids if i in new_ids] if old.collection == collection else []
        stored = store.stored(collection, same) if same else {}
        unchanged = {r.id for r in records if stored.get(r.id) == (r.text, r.metadata)}
        profile = {records[0].id} if records else set()
        replaced.setdefault(old.collection, []).extend(
            i for i in old.ids if i not in unchanged and (i not in profile or old.collection != collection)
        )
        return [r for r in records if r.id not in unchanged]

    def _index_group(
        self, store: VectorStore, manifest: Manifest, group: list[tuple[Entry, bytes | None]], report: SyncReport
    ) -> None:
        pending: dict[CollectionName, list[Record]] = {name: [] for name in COLLECTIONS}
        replaced: dict[str, list[str]] = {}
        for listed, raw in group:
            rel = listed.rel
            if raw is None:
                parsed = unreadable(rel, listed.problem or Problem(path=rel, message="cannot be read; skipped"))
            else:
                parsed = parse_bytes(rel, raw)
            collection, records = records_for(parsed, self.embedder.split_to_windows)
            old = manifest.files.get(rel)
            to_write = self._changed_records(store, old, collection, records, replaced) if old else records
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
            pending[collection].extend(to_write)
        for records in pending.values():
            if records:
                vectors = self.embedder([r.text for r in records])
                report.embedded += len(records)
                for record, vector in zip(records, vectors, strict=True):
                    record.embedding = [float(x) for x in vector]
        # Delete, then add, once everything is embedded: Chroma updates an existing id in place about
        # 3x slower than it deletes it and inserts it again (measured at 10,000 customers), and a
        # replica reading meanwhile misses a changed file's records for milliseconds, not seconds.
        for name, ids in replaced.items():
            store.delete_ids(name, ids)  # type: ignore[arg-type]
        for name, records in pending.items():
            store.add(name, records)


def _holds(manifest: Manifest, folder: str) -> bool:
    prefix = folder + "/"
    return any(rel.startswith(prefix) for rel in manifest.files)
