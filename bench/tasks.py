"""One benchmark task per process, so each reports its own peak memory: `python bench/tasks.py TASK ...`.

Every task prints one JSON object on its last line; `bench/run.py` collects them.
"""

from __future__ import annotations

import functools
import json
import os
import random
import resource
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import Settings
from bot.index.indexer import Index
from bot.knowledge import folder

TODAY = "2026-11-22"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def disk_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def settings(knowledge: Path, index: Path) -> Settings:
    return Settings(_env_file=None, knowledge_dir=knowledge, chroma_path=index, rapport_today=TODAY)  # type: ignore[call-arg]


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"median_ms": statistics.median(ordered) * 1000, "p99_ms": p99 * 1000, "n": len(ordered)}


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


# -- tasks ---------------------------------------------------------------------------------


def build(knowledge: Path, index: Path) -> dict[str, Any]:
    """A full index build from nothing: entries/s, disk size, peak RSS."""
    shutil.rmtree(index, ignore_errors=True)
    idx = Index(settings(knowledge, index))
    seconds, report = timed(lambda: idx.sync(full=True))
    idx.close()
    return {
        "seconds": seconds,
        "texts": report.embedded,
        "entries_per_s": report.embedded / seconds,
        "disk_mb": disk_mb(index),
        "peak_rss_mb": peak_rss_mb(),
    }


def build_stand_in(knowledge: Path, index: Path) -> dict[str, Any]:
    """A full build with stand-in vectors (hashed words, 384-d, unit length) instead of the model.

    The index has the real build's records, ids, manifest and HNSW size, in minutes instead of an
    hour of a shared machine's CPU; for timing start-up, re-index and pauses, not for answer quality.
    The collections keep the real embedding function, so everything that reopens them embeds queries
    and changed files with the real model.
    """
    import zlib

    import numpy as np

    from bot.index.embedding import MiniLMEmbedding

    class HashedWords(MiniLMEmbedding):
        def __call__(self, input: list[str]) -> list[Any]:  # type: ignore[override]
            out = np.zeros((len(input), 384), dtype=np.float32)
            for row, text in enumerate(input):
                for word in text.lower().split():
                    h = zlib.crc32(word.encode())
                    out[row, h % 384] += 1.0 if h & 1024 else -1.0
            out[:, 0] += 1e-3
            return list(out / np.linalg.norm(out, axis=1, keepdims=True))

    shutil.rmtree(index, ignore_errors=True)
    idx = Index(settings(knowledge, index), embedder=HashedWords())
    seconds, report = timed(lambda: idx.sync(full=True))
    idx.close()
    return {"seconds": seconds, "texts": report.embedded, "disk_mb": disk_mb(index), "peak_rss_mb": peak_rss_mb()}


def reindex(knowledge: Path, index: Path, repeats: int = 5) -> dict[str, Any]:
    """No-change re-index (must embed nothing), then one changed customer file, `repeats` times synced
    with a whole scan (`rapport index`) and `repeats` times by its path (the running bot's watcher)."""
    start = time.perf_counter()
    idx = Index(settings(knowledge, index))
    nochange_s, report = timed(idx.sync)
    process_nochange = time.perf_counter() - start
    nochange_texts = report.embedded
    # The first touch of the HNSW segment loads it from disk (seconds at 10,000 customers); the running
    # bot pays that once at start-up, so it is measured apart and the edits below run warm.
    hnsw_load_s, _ = timed(lambda: idx.store().query("customers", "warm up", n=1))
    files = sorted((knowledge / "customers").glob("*.md"))
    rng = random.Random(5)
    one_file: list[float] = []
    watched: list[float] = []  # what the running bot does: its watcher names the changed file
    one_texts: list[int] = []
    for i in range(repeats * 2):
        path = rng.choice(files)
        rel = path.relative_to(knowledge).as_posix()
        original = path.read_text(encoding="utf-8")
        path.write_text(original + f"- 2026-11-22 email out (Bench): Benchmark edit number {i}.\n", encoding="utf-8")
        by_path = i % 2 == 1
        seconds, rep = timed(functools.partial(idx.sync, paths=[rel] if by_path else None))
        (watched if by_path else one_file).append(seconds)
        one_texts.append(rep.embedded)
        path.write_text(original, encoding="utf-8")
        idx.sync(paths=[rel])  # put it back (not timed)
    idx.close()
    return {
        "nochange_s": nochange_s,
        "nochange_process_s": process_nochange,
        "nochange_texts": nochange_texts,
        "hnsw_first_touch_s": hnsw_load_s,
        "one_file": percentiles(one_file),
        "one_file_watched": percentiles(watched),
        "one_file_texts": max(one_texts),
        "peak_rss_mb": peak_rss_mb(),
    }


def questions(knowledge: Path, n: int, seed: int = 11) -> tuple[list[str], list[str]]:
    """Lookup queries and ask questions about customers picked at random from the folder."""
    kb = folder.load(knowledge)
    rng = random.Random(seed)
    customers = rng.sample(sorted(kb.customers.values(), key=lambda c: c.id), min(n, len(kb.customers)))
    lookups: list[str] = []
    asks: list[str] = []
    for i, c in enumerate(customers):
        typo = c.name[:-2] + c.name[-1] + c.name[-2]
        dated = [e for e in c.history if e.date and e.direction == "in"]
        about = dated[-1].text if dated else "their order"
        lookups.append([c.name, c.email or c.name, typo, c.company or c.name][i % 4])
        asks.append(
            [
                f"How should I answer {c.name} about this: {about}",
                f"Should I check in with {c.name} this week?",
                f"{c.name} asked about delivery times, what do I reply?",
            ][i % 3]
        )
    return lookups, asks


def latency(knowledge: Path, index: Path, n: int = 200) -> dict[str, Any]:
    """Warm-process latency of lookup and offline ask (everything but a language model)."""
    from bot.services.container import build_services

    s = settings(knowledge, index)
    start = time.perf_counter()
    services = build_services(s)
    services.knowledge.sync()
    services.knowledge.snapshot()
    warm_up_s = time.perf_counter() - start
    lookups, asks = questions(knowledge, n)
    finder = services.knowledge.snapshot().finder
    for q in lookups[:5] + asks[:5]:  # warm caches, sessions
        finder.find(q)
        services.assistant.ask(q)
    lookup_times = [timed(lambda q=q: finder.find(q))[0] for q in lookups]
    ask_times = [timed(lambda q=q: services.assistant.ask(q))[0] for q in asks]
    return {
        "load_s": warm_up_s,
        "lookup": percentiles(lookup_times),
        "ask": percentiles(ask_times),
        "peak_rss_mb": peak_rss_mb(),
    }


def plain(knowledge: Path, index: Path) -> dict[str, Any]:
    """What a user would otherwise write: parse every file, `collection.add` it with chromadb's defaults."""
    import chromadb

    shutil.rmtree(index, ignore_errors=True)
    start = time.perf_counter()
    client = chromadb.PersistentClient(path=str(index))
    col = client.create_collection("plain")
    texts: list[str] = []
    kb = folder.load(knowledge)
    for c in kb.customers.values():
        texts += [e.text for e in c.history] + [s.text for s in c.notes]
    texts += [i.summary for i in kb.content] + [p.body for p in kb.playbook]
    for begin in range(0, len(texts), 256):
        batch = texts[begin : begin + 256]
        col.add(ids=[f"t{begin + i}" for i in range(len(batch))], documents=batch)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "texts": len(texts),
        "entries_per_s": len(texts) / seconds,
        "peak_rss_mb": peak_rss_mb(),
    }


def embedding(n: int) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from embedding_speed import measure  # type: ignore[import-not-found]

    return dict(measure(n))


TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "build": build,
    "build-stand-in": build_stand_in,
    "reindex": reindex,
    "latency": latency,
    "plain": plain,
}


def main() -> None:
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    task, *args = sys.argv[1:]
    if task == "embedding":
        result = embedding(int(args[0]))
    else:
        result = TASKS[task](Path(args[0]), Path(args[1]), *map(int, args[2:]))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
