"""The Chroma side of the index: one client, three collections, typed records.

Embedded (`PersistentClient` in a generation folder under CHROMA_PATH) or a
Chroma server (`CHROMA_HOST`): the same code path, only the client differs.
Vectors are computed by Rapport's own embedding function and passed in, so the
indexer knows exactly what was embedded.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import numpy as np

from bot.index.client import ChromaTarget, Resources, open_client
from bot.index.generations import ReaderLock

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

    from bot.index.embedding import MiniLMEmbedding

log = logging.getLogger(__name__)

CollectionName = Literal["customers", "content", "playbook"]
COLLECTIONS: tuple[CollectionName, ...] = ("customers", "content", "playbook")
ADD_BATCH = 2000


@dataclass
class Record:
    id: str
    text: str
    metadata: dict[str, str | int | float | bool]
    embedding: Sequence[float] | None = None


T = TypeVar("T")
QUERY_CACHE = 512


@dataclass
class Hit:
    id: str
    text: str
    metadata: dict[str, Any]
    score: float  # cosine similarity, 1 is identical


class VectorStore:
    """One generation of the index. Kept open while anything references it (an answer's snapshot, the
    index), then closed by the garbage collector, which also releases the generation's reader lock."""

    def __init__(
        self,
        target: ChromaTarget,
        embedder: MiniLMEmbedding,
        ef_search: int = 1000,
        *,
        reader_lock: ReaderLock | None = None,
        readonly: bool = False,
    ) -> None:
        self.target = target
        self.embedder = embedder
        self.ef_search = ef_search
        self.readonly = readonly  # a replica that does not own the index never creates collections
        self.client = open_client(target)
        self._resources = Resources(self.client, target, reader_lock)
        weakref.finalize(self, self._resources.close)
        self._collections: dict[str, Collection] = {}
        # customer id -> that customer's record ids (set by the Index from its manifest). With it, a
        # query about one customer reads their ~20 vectors by id and ranks them exactly: Chroma's
        # metadata filter scanned every record (about 240 ms at 10,000 customers against 3 ms).
        self._vectors: dict[str, np.ndarray[Any, np.dtype[np.float32]]] = {}
        self.scope_ids: Callable[[str], list[str] | None] | None = None
        # The index's current store: asked again when this generation went away under a question.
        self.successor: Callable[[], VectorStore] | None = None

    def _retrying(self, op: Callable[[VectorStore], T]) -> T:
        """Run a read; if it fails because the owner removed this generation, run it on the current one."""
        try:
            return op(self)
        except Exception:
            fresh = self.successor() if self.successor is not None else None
            if fresh is None or fresh is self:
                raise
            log.info("an index generation went away during a question; answered from the current one")
            return op(fresh)

    def collection(self, name: CollectionName) -> Collection:
        if name not in self._collections:
            if self.readonly:
                col = self.client.get_collection(f"{self.target.prefix}{name}", embedding_function=self.embedder)  # type: ignore[arg-type]
                self._collections[name] = col
                return col
            # Chroma's default ef_search (100) gave recall@10 of 0.71 on bench data, 1000 gives
            # about 0.95 for about 1 ms more per query (bench/recall.py).
            col = self.client.get_or_create_collection(
                f"{self.target.prefix}{name}",
                configuration={
                    "hnsw": {
                        "space": "cosine",
                        "ef_search": self.ef_search,
                        "ef_construction": 200,
                        "max_neighbors": 32,
                    }
                },
                embedding_function=self.embedder,  # type: ignore[arg-type]
            )
            hnsw = (col.configuration or {}).get("hnsw") or {}
            if hnsw.get("ef_search") != self.ef_search:
                col.modify(configuration={"hnsw": {"ef_search": self.ef_search}})
            self._collections[name] = col
        return self._collections[name]

    def create_all(self) -> None:
        """Create the three collections (readers then find an empty collection, never a missing one)."""
        for name in COLLECTIONS:
            self.collection(name)

    def add(self, name: CollectionName, records: Sequence[Record]) -> None:
        if not records:
            return
        missing = [r for r in records if r.embedding is None]
        if missing:
            vectors = self.embedder([r.text for r in missing])
            for record, vector in zip(missing, vectors, strict=True):
                record.embedding = [float(x) for x in vector]
        col = self.collection(name)
        for start in range(0, len(records), ADD_BATCH):
            batch = records[start : start + ADD_BATCH]
            col.upsert(
                ids=[r.id for r in batch],
                documents=[r.text for r in batch],
                metadatas=[r.metadata for r in batch],  # type: ignore[misc]
                embeddings=np.asarray([r.embedding or [] for r in batch], dtype=np.float32),
            )

    def delete_ids(self, name: CollectionName, ids: Iterable[str]) -> None:
        ids = list(ids)
        for start in range(0, len(ids), ADD_BATCH):
            self.collection(name).delete(ids=ids[start : start + ADD_BATCH])

    def count(self, name: CollectionName) -> int:
        """Records in a collection. Queries never ask: Chroma's count holds the GIL up to 70 ms at
        220,000 records, and a query asking for more hits than there are records gets them all."""
        return self._retrying(lambda store: store.collection(name).count())

    def query(self, name: CollectionName, text: str, n: int, where: dict[str, Any] | None = None) -> list[Hit]:
        return self._retrying(lambda store: store._query(name, text, n, where))

    def _query(self, name: CollectionName, text: str, n: int, where: dict[str, Any] | None) -> list[Hit]:
        if where is not None and set(where) == {"customer_id"} and self.scope_ids is not None:
            ids = self.scope_ids(str(where["customer_id"]))
            if ids is not None:
                hits = self.query_within(name, text, ids, n)
                if hits or not ids or self.successor is None:
                    return hits
                # The manifest names records this store cannot see: a replica's store opened before the
                # owner's last write (Chroma loaded its vectors then). The current store can.
                fresh = self.successor()
                return hits if fresh is self else fresh.query_within(name, text, ids, n)
        return self._query_many(name, [text], n, where)[0]

    def query_many(
        self, name: CollectionName, texts: Sequence[str], n: int, where: dict[str, Any] | None = None
    ) -> list[list[Hit]]:
        """One Chroma call for several query texts (embedded in one batch): hits per text, best first."""
        return self._retrying(lambda store: store._query_many(name, texts, n, where))

    def _query_many(
        self, name: CollectionName, texts: Sequence[str], n: int, where: dict[str, Any] | None
    ) -> list[list[Hit]]:
        wanted = [t for t in texts if t.strip()]
        if not wanted or n < 1:
            return [[] for _ in texts]
        col = self.collection(name)
        self.vectors(wanted)
        result = col.query(
            query_embeddings=np.stack([self._vectors[t] for t in wanted]),
            n_results=n,
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        by_text: dict[str, list[Hit]] = {}
        for k, text in enumerate(wanted):
            ids = result["ids"][k]
            docs = (result.get("documents") or [[]] * len(wanted))[k]
            metas = (result.get("metadatas") or [[]] * len(wanted))[k]
            dists = (result.get("distances") or [[]] * len(wanted))[k]
            by_text[text] = [
                Hit(id=i, text=d or "", metadata=dict(m or {}), score=1.0 - float(dist))
                for i, d, m, dist in zip(ids, docs, metas, dists, strict=True)
            ]
        return [by_text.get(t, []) for t in texts]

    def vectors(self, texts: Sequence[str]) -> None:
        """Embed, in one batch, the texts not cached yet."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if not missing:
            return
        for text, vector in zip(missing, self.embedder(missing), strict=True):
            if len(self._vectors) >= QUERY_CACHE:
                self._vectors.pop(next(iter(self._vectors)))
            self._vectors[text] = np.asarray(vector, dtype=np.float32)

    def vector(self, text: str) -> np.ndarray[Any, np.dtype[np.float32]]:
        """The query's embedding; one answer asks about the same text several times, so keep a few."""
        if text not in self._vectors:
            self.vectors([text])
        return self._vectors[text]

    def query_within(self, name: CollectionName, text: str, ids: Sequence[str], n: int) -> list[Hit]:
        """The `n` records among `ids` closest to `text`, by exact cosine similarity."""
        if not ids or not text.strip():
            return []
        got = self.collection(name).get(ids=list(ids), include=["documents", "metadatas", "embeddings"])
        vectors = got.get("embeddings")
        if not got["ids"] or vectors is None:
            return []
        matrix = np.asarray(vectors, dtype=np.float32)
        query = self.vector(text)
        sims = matrix @ query / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(query) + 1e-12)
        docs = got.get("documents") or []
        metas = got.get("metadatas") or []
        return [
            Hit(id=got["ids"][i], text=docs[i] or "", metadata=dict(metas[i] or {}), score=float(sims[i]))
            for i in np.argsort(-sims)[:n]
        ]

    def fetch(self, name: CollectionName, ids: Sequence[str]) -> Iterator[list[Record]]:
        """The records with these ids, vectors included, in batches (compaction copies them unchanged)."""
        col = self.collection(name)
        for start in range(0, len(ids), ADD_BATCH):
            got = col.get(ids=list(ids[start : start + ADD_BATCH]), include=["documents", "metadatas", "embeddings"])
            embeddings = got.get("embeddings")
            docs = got.get("documents") or []
            metas = got.get("metadatas") or []
            yield [
                Record(
                    id=rid,
                    text=docs[i] or "",
                    metadata=dict(metas[i] or {}),  # type: ignore[arg-type]
                    embedding=[float(x) for x in embeddings[i]] if embeddings is not None else None,
                )
                for i, rid in enumerate(got["ids"])
            ]

    def stored(self, name: CollectionName, ids: Sequence[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        """Text and metadata of the records with these ids that exist (what a re-index compares against)."""
        col = self.collection(name)
        found: dict[str, tuple[str, dict[str, Any]]] = {}
        for start in range(0, len(ids), ADD_BATCH):
            got = col.get(ids=list(ids[start : start + ADD_BATCH]), include=["documents", "metadatas"])
            docs, metas = got.get("documents") or [], got.get("metadatas") or []
            for i, rid in enumerate(got["ids"]):
                found[rid] = (docs[i] or "", dict(metas[i] or {}))
        return found

    def embeddings(
        self, name: CollectionName, ids: Sequence[str]
    ) -> Iterator[tuple[list[str], list[dict[str, Any]], np.ndarray[Any, np.dtype[np.float32]]]]:
        """(ids, metadatas, vectors as one float32 matrix) per batch: for reading many vectors at once
        (`fetch` turns each vector into a list of floats, which at 200,000 records is gigabytes)."""
        col = self.collection(name)
        for start in range(0, len(ids), ADD_BATCH):
            got = col.get(ids=list(ids[start : start + ADD_BATCH]), include=["metadatas", "embeddings"])
            vectors = got.get("embeddings")
            metas = [dict(m or {}) for m in got.get("metadatas") or []]
            if not got["ids"] or vectors is None:
                continue
            yield list(got["ids"]), metas, np.asarray(vectors, dtype=np.float32)

    def drop_all(self) -> None:
        for name in COLLECTIONS:
            try:
                self.client.delete_collection(f"{self.target.prefix}{name}")
            except Exception:
                log.debug("collection %s not present", name)
        self._collections.clear()

    def close(self) -> None:
        """Release the store's files and its generation's reader lock (needed before its folder is removed)."""
        self._collections.clear()
        self._resources.close()
