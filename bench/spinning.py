"""onnxruntime with and without spin-waiting threads, side by side, A B A B, same vectors asserted.

    python bench/spinning.py [--rounds 3] [--busy N]

A is the best fp32 setting measured for all-MiniLM-L6-v2 on this CPU (Rapport's session: threads
sized to the cores, sequential, full graph optimisation) with onnxruntime's default spinning; B is
the same session with `session.intra_op.allow_spinning` and `session.inter_op.allow_spinning` set
to "0" (what `MiniLMEmbedding` now uses). Per round and side: 500 history lines (throughput),
20 batches of 22 lines (a changed customer file), 50 single questions (an `ask`'s query vector).
`--busy N` starts N busy-looping processes for the run, so "loaded" does not depend on what else
the machine is doing; the load average is printed either way. The bench fails if any vector differs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from embedding_speed import history_lines  # type: ignore[import-not-found]

from bot.index.embedding import MiniLMEmbedding


def spinning_embedder() -> MiniLMEmbedding:
    ef = MiniLMEmbedding()
    ef._session = ef._load_session(spinning=True)
    return ef


def seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def one_round(ef: MiniLMEmbedding, lines: list[str]) -> dict[str, float]:
    bulk = seconds(lambda: ef(lines))
    file_batches = [seconds(lambda i=i: ef(lines[i * 22 : i * 22 + 22])) for i in range(20)]
    singles = sorted(seconds(lambda i=i: ef([lines[i]])) for i in range(50))
    return {
        "texts_per_s": len(lines) / bulk,
        "file_ms": statistics.median(file_batches) * 1000,
        "query_ms": statistics.median(singles) * 1000,
        "query_p99_ms": singles[-1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--busy", type=int, default=0, help="busy-looping processes to run meanwhile")
    args = parser.parse_args()
    lines = history_lines(500)
    sides = {"A spin": spinning_embedder(), "B no spin": MiniLMEmbedding()}
    vectors = {name: np.asarray(ef(lines)) for name, ef in sides.items()}  # also loads both sessions
    assert np.array_equal(vectors["A spin"], vectors["B no spin"]), "spinning changed the vectors"
    print(f"vectors identical: {len(lines)} x {vectors['A spin'].shape[1]}")
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        totals: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
        print(f"{'side':<10} {'load':>5} {'texts/s':>8} {'22 lines':>9} {'query':>8} {'query p99':>10}")
        for _ in range(args.rounds):
            for name, ef in sides.items():
                r = one_round(ef, lines)
                totals[name].append(r)
                print(
                    f"{name:<10} {os.getloadavg()[0]:5.1f} {r['texts_per_s']:8.1f} {r['file_ms']:7.1f}ms "
                    f"{r['query_ms']:6.1f}ms {r['query_p99_ms']:8.1f}ms",
                    flush=True,
                )
    finally:
        for process in busy:
            process.kill()
    a, b = ([statistics.median(r[key] for r in totals[name]) for key in ("texts_per_s", "file_ms")] for name in sides)
    print(f"B / A: throughput {b[0] / a[0]:.2f}x, a changed file's batch {a[1] / b[1]:.2f}x as fast")


if __name__ == "__main__":
    main()
