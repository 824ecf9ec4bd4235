"""What a customer's history says by meaning: advocacy and complaints, from the vectors the index holds.

A history entry is embedded once, when its file is indexed; reading those vectors back (one Chroma
`get` per 2,000 records) costs far less than embedding the text again, which matters at 10,000
customers. Entries the index does not hold yet (a file changed a second ago) are embedded here.
Each judgement compares an entry with paired examples (an advocacy or complaint wording and its plain
twin on the same subject), as the reading of requests does: the subject cancels out, the act decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bot.knowledge.models import Customer, HistoryEntry
from bot.services.knowledge import Snapshot
from bot.services.meaning import Meaning, Vectors
from bot.services.reading import lexicon, praised

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: about 10x faster
DATA = Path(__file__).parent / "data" / "stages.yaml"
NEIGHBOURS = 3
ADVOCACY_LEAN = 0.02  # how much closer to the advocacy wordings than to their twins an entry must be
ADVOCACY_MIN = 0.5  # ...and this close to one of them (precision first: see README, "Relationship stages")
COMPLAINT_LEAN = 0.05  # the reading's own margin (reading.COMPLAINT_LEAN), on the entry as a whole
Pairs = tuple[tuple[str, str], ...]


@lru_cache(maxsize=1)
def advocacy_pairs() -> Pairs:
    raw = yaml.load(DATA.read_text(encoding="utf-8"), Loader=_LOADER)
    return tuple((str(a), str(b)) for a, b in raw["advocacy_pairs"])


@dataclass
class HistoryVectors:
    """customer id -> history line -> unit vector."""

    by_customer: dict[str, dict[int, Vectors]] = field(default_factory=dict)

    def of(self, customer_id: str) -> dict[int, Vectors]:
        return self.by_customer.get(customer_id, {})


def _unit(matrix: Vectors) -> Vectors:
    return np.asarray(matrix / (np.linalg.norm(matrix, axis=-1, keepdims=True) + 1e-12), dtype=np.float32)


def _stored(snap: Snapshot, customers: list[Customer]) -> dict[str, dict[int, list[Vectors]]]:
    store = snap.finder.store
    if store is None or store.scope_ids is None:
        return {}
    ids = [rid for c in customers for rid in (store.scope_ids(c.id) or []) if "#L" in rid]
    found: dict[str, dict[int, list[Vectors]]] = {}
    try:
        batches = list(store.embeddings("customers", ids))
    except Exception:  # an index being rebuilt under us: embed instead, never fail the digest
        return {}
    for got_ids, metas, matrix in batches:
        for meta, vector in zip(metas, matrix, strict=True):
            if meta.get("kind") == "history":
                lines = found.setdefault(str(meta.get("customer_id")), {})
                lines.setdefault(int(meta.get("line", 0)), []).append(vector)
        del got_ids
    return found


def history_vectors(snap: Snapshot, customers: Iterable[Customer]) -> HistoryVectors:
    """The vectors of these customers' dated history entries: stored ones, else embedded now."""
    wanted = list(customers)
    stored = _stored(snap, wanted)
    out = HistoryVectors()
    missing: list[tuple[str, HistoryEntry]] = []
    for c in wanted:
        have = stored.get(c.id, {})
        lines: dict[int, Vectors] = {}
        for entry in c.history:
            if entry.date is None:
                continue
            chunks = have.get(entry.line)
            if chunks:
                lines[entry.line] = _unit(np.mean(np.stack(chunks), axis=0))
            else:
                missing.append((c.id, entry))
        out.by_customer[c.id] = lines
    if missing and snap.meaning is not None:
        vectors = snap.meaning.vectors([e.text for _, e in missing])
        for (cid, entry), vector in zip(missing, vectors, strict=True):
            out.by_customer[cid][entry.line] = vector
    return out


class Judge:
    """Advocacy and complaint, told from paired examples (embedded once per process)."""

    def __init__(self, meaning: Meaning | None) -> None:
        self.meaning = meaning
        self._sides: dict[str, tuple[Vectors, Vectors]] = {}
        self._praise: Vectors | None = None

    def _pair_vectors(self, name: str, pairs: Pairs) -> tuple[Vectors, Vectors] | None:
        if self.meaning is None:
            return None
        if name not in self._sides:
            self._sides[name] = (
                self.meaning.vectors([a for a, _ in pairs]),
                self.meaning.vectors([b for _, b in pairs]),
            )
        return self._sides[name]

    def _lean(self, name: str, pairs: Pairs, rows: Vectors) -> tuple[Any, Any]:
        sides = self._pair_vectors(name, pairs)
        if sides is None or not len(rows):
            return np.zeros(len(rows)), np.zeros(len(rows))
        yes, no = rows @ sides[0].T, rows @ sides[1].T
        k = min(NEIGHBOURS, yes.shape[1])
        lean = np.sort(yes, axis=1)[:, -k:].mean(axis=1) - np.sort(no, axis=1)[:, -k:].mean(axis=1)
        return lean, yes.max(axis=1)

    def advocacy(self, customer: Customer, vectors: dict[int, Vectors]) -> HistoryEntry | None:
        """Their latest history entry that reads as a referral or as sharing their experience of us."""
        entries = [e for e in customer.history if e.date and e.line in vectors]
        if not entries:
            return None
        lean, best = self._lean("advocacy", advocacy_pairs(), np.stack([vectors[e.line] for e in entries]))
        hits = [e for e, lv, b in zip(entries, lean, best, strict=True) if lv >= ADVOCACY_LEAN and b >= ADVOCACY_MIN]
        return max(hits, key=lambda e: (e.date, e.line)) if hits else None

    def complaint(self, entry: HistoryEntry, vectors: dict[int, Vectors]) -> bool:
        vector = vectors.get(entry.line)
        if vector is None:
            return False
        lean, _ = self._lean("complaint", lexicon().complaints, vector[None, :])
        if lean[0] < COMPLAINT_LEAN:
            return False
        # Praise on a subject complaints are about ("the new brakes are brilliant") leans to them too: a line
        # closer to thanks and praise than to any complaint is none (services/reading.py does the same).
        sides = self._pair_vectors("complaint", lexicon().complaints)
        if sides is None or self.meaning is None:
            return True
        if self._praise is None:
            self._praise = self.meaning.vectors(list(lexicon().praise))
        return not praised(self._praise @ vector, sides[0] @ vector)
