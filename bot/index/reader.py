"""Reading the index: the committed generation, opened under its reader lock, and the manifest.

Every process reads this way; the one that owns the index (`indexer.Index`) also writes it. A
replica's `store()` follows the manifest: when the owner commits a new generation, the next call
opens it, and the store it replaces closes once the answers holding it are done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock

from bot.config import Settings
from bot.index.client import ChromaTarget, remove_target, server_generations
from bot.index.erasure import Erasures
from bot.index.generations import ReaderLock, Reaper, local_generations
from bot.index.manifest import MANIFEST, Manifest, read_manifest
from bot.index.store import VectorStore
from bot.knowledge import cache as parse_cache

if TYPE_CHECKING:
    from bot.index.embedding import MiniLMEmbedding


class StaleGeneration(RuntimeError):
    """The manifest named a generation that its owner removed before this process could open it."""


class IndexReader:
    """The index at CHROMA_PATH (or on a Chroma server) for one knowledge folder, as a reader sees it."""

    def __init__(self, settings: Settings, embedder: MiniLMEmbedding | None = None) -> None:
        self.settings = settings
        self.root = settings.knowledge_dir
        self.dir = settings.chroma_path
        if embedder is not None:
            self.embedder = embedder
        self._file_lock = FileLock(str(self.dir / "index.lock"), thread_local=False)
        self._thread_lock = threading.RLock()
        self._store_lock = threading.Lock()
        self._store: VectorStore | None = None
        self._store_key: tuple[int, tuple[int, int] | None] | None = None
        self._own_write: tuple[int, int] | None = None  # the manifest as this process last wrote it
        self._scopes: tuple[Manifest, dict[str, list[str]]] | None = None
        self._manifest_cache: tuple[tuple[int, int], Manifest] | None = None
        self.erasures = Erasures(self.dir)
        # Applied to each erased customer id: files besides the index that may name them (the feedback log).
        self.scrubbers: list[Callable[[str], object]] = []
        self.reaper = Reaper(self.dir, lambda g: remove_target(self._target(g)), self._committed_generation)

    @cached_property
    def embedder(self) -> MiniLMEmbedding:
        """The embedding model, built on first use: it imports chromadb (about a second), which a
        process that never opens the index (the Slack front of `serve`) does without."""
        from bot.index.embedding import MiniLMEmbedding

        return MiniLMEmbedding()

    @property
    def parse_cache(self) -> Path:
        """Where parsed knowledge files are kept between processes (`knowledge/cache.py`)."""
        return self.dir / parse_cache.FOLDER

    # -- reading -----------------------------------------------------------------

    def manifest(self) -> Manifest:
        """The manifest on disk, read-only (parsed again only when the file changed: it is large at scale)."""
        key = self.state()
        if key is None:
            return Manifest()
        cached = self._manifest_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        manifest = read_manifest(self.dir)
        if manifest is None:
            return Manifest()  # unreadable: not cached, so the writer never takes it for a real one
        self._manifest_cache = (key, manifest)
        return manifest

    def _manifest_to_change(self) -> Manifest | None:
        """The committed manifest as a copy to change (None: none, or unreadable).

        The copy this process parsed or wrote last is reused while the file is unchanged: parsing it
        again cost 110 ms a sync at 10,000 customers (220,000 ids). Only its `files` dict is copied;
        the writer replaces entries and never changes one in place, since readers hold the original.
        """
        key = self.state()
        cached = self._manifest_cache
        if key is None or cached is None or cached[0] != key:
            return read_manifest(self.dir)
        return cached[1].model_copy(update={"files": dict(cached[1].files)})

    def state(self) -> tuple[int, int] | None:
        """Changes whenever the owner writes the manifest: a replica compares it to follow the owner."""
        try:
            stat = (self.dir / MANIFEST).stat()
        except FileNotFoundError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def _remember(self, manifest: Manifest) -> None:
        """After this process wrote the manifest: its store already holds what the manifest says."""
        key = self.state()
        if key is not None:
            self._manifest_cache = (key, manifest)
            self._own_write = key

    def _committed_generation(self) -> int | None:
        manifest = read_manifest(self.dir)
        return manifest.generation if manifest else None

    def _target(self, generation: int) -> ChromaTarget:
        s = self.settings
        if s.chroma_host:
            return ChromaTarget(host=s.chroma_host, port=s.chroma_port, prefix=f"rapport_g{generation}_")
        return ChromaTarget(path=self.dir / f"gen-{generation:06d}")

    def owns(self) -> bool:
        return bool(self._file_lock.is_locked)

    def _open(self, generation: int, fresh: bool = False) -> VectorStore:
        """A store on one generation, holding its reader lock; `fresh` (the owner) starts it empty."""
        target = self._target(generation)
        lock = ReaderLock(self.dir, generation)
        try:
            if fresh:
                remove_target(target)  # a crashed compaction may have left a half-built one
            elif target.path is not None and generation > 0 and not target.path.exists():
                raise StaleGeneration(f"generation {generation} of {self.dir} is gone")
            store = VectorStore(
                target, self.embedder, self.settings.hnsw_ef_search, reader_lock=lock, readonly=not self.owns()
            )
        except BaseException:
            lock.release()
            raise
        if fresh:
            store.create_all()
        store.scope_ids = self.customer_ids
        store.successor = self.store
        return store

    def store(self) -> VectorStore:
        """The store of the committed generation, reopened when a compaction moved it on; in a process
        that does not own the index, also whenever the owner wrote the manifest.

        Chroma keeps a folder's vector index in memory and never sees what another process added
        later, so a replica reads the owner's changes through a freshly opened store. The store it
        replaces is not closed here: answers holding it finish on it, and it closes (releasing its
        generation for removal) when the last of them lets go.
        """
        with self._store_lock:
            for _ in range(5):
                generation = self.manifest().generation
                state = self.state()
                key = (generation, None if self.owns() or state == self._own_write else state)
                if self._store is not None and key == self._store_key:
                    return self._store
                try:
                    store = self._open(generation)
                except StaleGeneration:
                    continue  # the owner moved on between our reading the manifest and opening it
                self._store, self._store_key = store, key
                return store
        raise StaleGeneration(f"the index at {self.dir} kept moving to new generations")

    def customer_ids(self, customer_id: str) -> list[str] | None:
        """The record ids of one customer (None when the index does not know them)."""
        manifest = self.manifest()
        scopes = self._scopes  # no lock: replaced whole when the manifest changes
        if scopes is None or scopes[0] is not manifest:
            scopes = self._scopes = (manifest, _scopes(manifest))
        return scopes[1].get(customer_id)

    def _generations(self) -> set[int]:
        found = local_generations(self.dir)
        if self.settings.chroma_host:
            found |= server_generations(self._target(0))
        return found

    def close(self) -> None:
        with self._store_lock:
            if self._store is not None:
                self._store.close()
                self._store = None


def _scopes(manifest: Manifest) -> dict[str, list[str]]:
    return {e.customer_id: e.ids for e in manifest.files.values() if e.customer_id}
