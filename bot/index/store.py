"""The Chroma side of the index: one client, three collections, typed records.

Embedded (`PersistentClient` in a generation folder under CHROMA_PATH) or a
Chroma server (`CHROMA_HOST`): the same code path, only the client differs.
Vectors are computed by Rapport's own embedding function and passed in, so the
indexer knows exactly what was embedded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import chromadb
import chromadb.api.shared_system_client
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from filelock import FileLock

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


QUERY_CACHE = 512
COUNT_TTL = 5.0  # seconds; another process's writes are seen within this


@dataclass
class Hit:
    id: str
    text: str
    metadata: dict[str, Any]
    score: float  # cosine similarity, 1 is identical


@dataclass
class ChromaTarget:
    """Where the vectors live: an embedded folder or a server (host, port)."""

    path: Path | None = None
    host: str | None = None
    port: int = 8000
    prefix: str = ""  # collection name prefix; a new prefix is a new generation on a server
    extra: dict[str, Any] = field(default_factory=dict)


def open_client(target: ChromaTarget) -> ClientAPI:
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if target.host:
        return chromadb.HttpClient(host=target.host, port=target.port, settings=settings)
    assert target.path is not None
    target.path.mkdir(parents=True, exist_ok=True)
    # Chroma creates its tables when a client first opens a folder, and two processes doing that at
    # once fail with "table collections already exists". Opening is quick, so every Rapport process
    # (bot, `rapport note`, `rapport ask`) takes turns at it; the index's writer lock is separate.
    with FileLock(str(target.path.parent / "open.lock"), thread_local=False):
        return chromadb.PersistentClient(path=str(target.path), settings=settings)


class VectorStore:
    def __init__(self, target: ChromaTarget, embedder: MiniLMEmbedding, ef_search: int = 1000) -> None:
        self.target = target
        self.embedder = embedder
        self.ef_search = ef_search
        self.client = open_client(target)
        self._collections: dict[str, Collection] = {}
        # customer id -> that customer's record ids (set by the Index from its manifest). With it, a
        # query about one customer reads their ~20 vectors by id and ranks them exactly: Chroma's
        # metadata filter scanned every record (about 240 ms at 10,000 customers against 3 ms).
        self._vectors: dict[str, np.ndarray[Any, np.dtype[np.float32]]] = {}
        self._counts: dict[str, tuple[float, int]] = {}
        self.scope_ids: Callable[[str], list[str] | None] | None = None

    def collection(self, name: CollectionName) -> Collection:
        if name not in self._collections:
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

    def add(self, name: CollectionName, records: Sequence[Record]) -> None:
        if not records:
            return
        self._counts.pop(name, None)
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

    def delete_path(self, name: CollectionName, path: str) -> None:
        self.collection(name).delete(where={"path": path})

    def delete_ids(self, name: CollectionName, ids: Iterable[str]) -> None:
        self._counts.pop(name, None)
        ids = list(ids)
        for start in range(0, len(ids), ADD_BATCH):
            self.collection(name).delete(ids=ids[start : start + ADD_BATCH])

    def count(self, name: CollectionName) -> int:
        """Records in a collection; cached briefly (Chroma's count costs ~7 ms at 220,000 records,
        and every query needs it), and forgotten on any write from this process."""
        now = time.monotonic()
        cached = self._counts.get(name)
        if cached is None or now - cached[0] > COUNT_TTL:
            cached = (now, self.collection(name).count())
            self._counts[name] = cached
        return cached[1]

    def query(self, name: CollectionName, text: str, n: int, where: dict[str, Any] | None = None) -> list[Hit]:
        if where is not None and set(where) == {"customer_id"} and self.scope_ids is not None:
            ids = self.scope_ids(str(where["customer_id"]))
            if ids is not None:
                return self.query_within(name, text, ids, n)
        return self.query_many(name, [text], n, where)[0]

    def query_many(
        self, name: CollectionName, texts: Sequence[str], n: int, where: dict[str, Any] | None = None
    ) -> list[list[Hit]]:
        """One Chroma call for several query texts (embedded in one batch): hits per text, best first."""
        wanted = [t for t in texts if t.strip()]
        col = self.collection(name)
        total = self.count(name) if wanted else 0
        if total == 0:
            return [[] for _ in texts]
        self.vectors(wanted)
        result = col.query(
            query_embeddings=np.stack([self._vectors[t] for t in wanted]),
            n_results=min(n, total),
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

    def dump(self, name: CollectionName, skip_path: str | None = None) -> list[Record]:
        """Every record with its vector (for compaction without re-embedding)."""
        col = self.collection(name)
        out: list[Record] = []
        total = col.count()
        for offset in range(0, total, ADD_BATCH):
            got = col.get(limit=ADD_BATCH, offset=offset, include=["documents", "metadatas", "embeddings"])
            embeddings = got.get("embeddings")
            for i, rid in enumerate(got["ids"]):
                meta = dict((got.get("metadatas") or [])[i] or {})
                if skip_path is not None and meta.get("path") == skip_path:
                    continue
                vector = [float(x) for x in embeddings[i]] if embeddings is not None else None
                text = (got.get("documents") or [])[i] or ""
                out.append(Record(id=rid, text=text, metadata=meta, embedding=vector))  # type: ignore[arg-type]
        return out

    def drop_all(self) -> None:
        self._counts.clear()
        for name in COLLECTIONS:
            try:
                self.client.delete_collection(f"{self.target.prefix}{name}")
            except Exception:
                log.debug("collection %s not present", name)
        self._collections.clear()

    def close(self) -> None:
        """Release the embedded store's files (needed before its folder is removed)."""
        self._collections.clear()
        if self.target.host is None:
            shared = chromadb.api.shared_system_client.SharedSystemClient
            identifier = str(getattr(self.client, "_identifier", ""))
            system = shared._identifier_to_system.pop(identifier, None)
            shared._identifier_to_refcount.pop(identifier, None)
            if system is not None:
                system.stop()
