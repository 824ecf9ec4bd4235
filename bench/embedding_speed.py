"""Texts per second for history-length lines: chromadb's default embedding function vs ours.

History entries are one short line each, the bulk of what Rapport embeds; chromadb pads each to
256 tokens, which is why `MiniLMEmbedding` exists. Both sides are warmed up first, so model
loading is not timed. (`DefaultEmbeddingFunction` also builds a fresh onnxruntime session on
every call, which a real indexer pays per batch; that cost is left out here in its favour.)

    python bench/embedding_speed.py [N]
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

from bot.index.embedding import MiniLMEmbedding

_PEOPLE = ("Sam", "Priya", "Jonas", "Mei", "Olu", "Carmen", "Dev", "Ines")
_CHANNELS = ("email in", "email out", "phone", "sms", "slack", "chat", "in-person", "mail")
_EVENTS = (
    "Sent the wide-fit chart; she ordered size {n}.",
    "Asked about delivery to Lyon before the {n}th.",
    "Renewal call: wants {n} more seats, budget signed off next week.",
    "Complained the invoice showed {n} units instead of 12; credit note issued.",
    "Prefers calls after 4pm. Mentioned her daughter starts university in September.",
    "Returned order #{n}0{n} (too narrow). Suggested the wide fit in the same colour.",
    "Loves the navy trainers; asked to be told when size {n} is back in stock.",
    "Quarterly review went well, {n}% up on last year; wants a case study.",
    "No reply to the {n}-day follow-up. Try Slack instead.",
    "Thanked us for the quick fix; will recommend us to two colleagues.",
)


def history_lines(n: int, seed: int = 13) -> list[str]:
    """`n` varied one-line history entries like the knowledge folder's, reproducibly."""
    rng = random.Random(seed)
    lines = []
    for _ in range(n):
        date = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        event = rng.choice(_EVENTS).format(n=rng.randint(3, 45))
        lines.append(f"{date} {rng.choice(_CHANNELS)} ({rng.choice(_PEOPLE)}): {event}")
    return lines


def _texts_per_second(
    embed: Callable[[list[str]], object],
    texts: list[str],
    repeats: int = 1,
) -> float:
    """Best of `repeats` timed runs: a shared 2-core machine is noisy; the best run is cleanest."""
    embed(texts[:8])  # load the model and session outside the timing
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        embed(texts)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def measure(n: int = 500) -> dict[str, float]:
    """Embed `n` history lines with both functions; texts/s for each and ours / chromadb's.

    chromadb's default is timed once (about 35 s for 500 lines on 2 cores), ours best of 3.
    """
    texts = history_lines(n)
    ours = MiniLMEmbedding()
    default = _texts_per_second(ONNXMiniLM_L6_V2(), texts)
    fast = _texts_per_second(ours, texts, repeats=3)
    return {
        "n": n,
        "mean_tokens": sum(map(ours.count_tokens, texts)) / n,
        "chromadb_default_texts_per_s": default,
        "rapport_minilm_texts_per_s": fast,
        "ratio": fast / default,
    }


def main() -> None:
    result = measure(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
    print(f"{result['n']:.0f} history lines, {result['mean_tokens']:.1f} tokens on average")
    print(f"chromadb default: {result['chromadb_default_texts_per_s']:8.1f} texts/s")
    print(f"rapport-minilm:   {result['rapport_minilm_texts_per_s']:8.1f} texts/s")
    print(f"ratio:            {result['ratio']:8.1f}x")


if __name__ == "__main__":
    main()
