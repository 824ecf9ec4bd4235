"""HNSW recall@10 of the customers collection against exact (brute-force) cosine search.

    python bench/recall.py KNOWLEDGE_DIR INDEX_DIR [--queries 200]

Chroma's default HNSW settings gave poor recall on this kind of data; this
measures what Rapport's settings (ef_search, max_neighbors) give.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import Settings
from bot.index.indexer import Index

QUESTIONS = [
    "complained about grind size for a batch brewer",
    "parcel arrived late and they want tracking",
    "grinder warranty repair",
    "cold brew beans for a wedding",
    "return an unopened bag",
    "ships to Leeds on Saturdays",
    "bitter house espresso",
    "price list for monthly wholesale orders",
]


def measure(knowledge: Path, index_dir: Path, queries: int = 200, k: int = 10, seed: int = 7) -> dict[str, Any]:
    settings = Settings(_env_file=None, knowledge_dir=knowledge, chroma_path=index_dir)  # type: ignore[call-arg]
    index = Index(settings)
    store = index.store()
    col = store.collection("customers")
    got = col.get(include=["embeddings", "documents"])
    ids = got["ids"]
    matrix = np.asarray(got["embeddings"], dtype=np.float32)
    rng = random.Random(seed)
    docs = got["documents"] or []
    texts = [rng.choice(QUESTIONS) + " " + rng.choice(docs)[:40] for _ in range(queries)]
    vectors = np.asarray(index.embedder(texts), dtype=np.float32)
    hits = 0
    for text, vector in zip(texts, vectors, strict=True):
        # Synthetic texts repeat, so count by score: a result is right when it is as close as the
        # k-th exact neighbour (ties between identical texts are all equally right).
        scores = matrix @ vector
        kth = float(np.sort(scores)[-k])
        approx = store.query("customers", text, k)
        hits += sum(1 for h in approx if h.score >= kth - 1e-4)
    return {"recall_at_10": hits / (queries * k), "queries": queries, "vectors": len(ids), "ef_search": store.ef_search}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("knowledge", type=Path)
    parser.add_argument("index", type=Path)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    print(measure(args.knowledge, args.index, args.queries))


if __name__ == "__main__":
    main()
