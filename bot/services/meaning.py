"""Similarity by meaning with the embedding model the index already runs (all-MiniLM-L6-v2).

Requests are read, facts chosen and complaints told apart by what the words mean, not by which
words they are: a paraphrase lands near its original even when it shares no word with it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Vectors = np.ndarray[Any, np.dtype[np.float32]]
Embed = Callable[[list[str]], Sequence[Any]]
CACHE = 8192  # sentences of the playbook, prototypes, recent questions


class Meaning:
    """Unit vectors for texts, cached (the playbook's sentences come back in every answer)."""

    def __init__(self, embed: Embed) -> None:
        self._embed = embed
        self._cache: dict[str, Vectors] = {}
        self._lock = threading.Lock()

    def vectors(self, texts: Sequence[str]) -> Vectors:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            got = np.asarray(self._embed(missing), dtype=np.float32)
            got /= np.linalg.norm(got, axis=1, keepdims=True) + 1e-12
            with self._lock:
                for text, vector in zip(missing, got, strict=True):
                    if len(self._cache) >= CACHE:
                        self._cache.pop(next(iter(self._cache)))
                    self._cache[text] = vector
        with self._lock:
            return np.stack([self._cache[t] if t in self._cache else self._fresh(t) for t in texts])

    def _fresh(self, text: str) -> Vectors:
        vector = np.asarray(self._embed([text])[0], dtype=np.float32)
        return vector / (np.linalg.norm(vector) + 1e-12)

    def similarity(self, queries: Sequence[str], texts: Sequence[str]) -> Vectors:
        """Cosine similarity, one row per query, one column per text."""
        if not queries or not texts:
            return np.zeros((len(queries), len(texts)), dtype=np.float32)
        return self.vectors(queries) @ self.vectors(texts).T
