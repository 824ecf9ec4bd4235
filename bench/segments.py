"""Segments and the digest at 10,000 customers: time and peak memory, each measured in its own process.

    python bench/segments.py DIR [--customers 10000] [--history 20] [--content 500]

Generates the synthetic folder in DIR/knowledge (bench/generate.py, seed 42) unless it is there,
builds the index in DIR/index unless it is there (timed: history vectors come from the index, as in
the running bot), then runs, each in a fresh process: loading the folder and services (the baseline),
`rapport digest` (build_digest, 7 days), the contact-health chart, and `rapport segments`
(build_segments). Prints one line of figures per task and a JSON object with all of them.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TODAY = "2026-11-22"  # bench/generate.py's today


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def task(name: str, knowledge: Path, index: Path) -> dict[str, Any]:
    """One measurement, in this process (called through a subprocess by main)."""
    import datetime as dt

    from bot.config import Settings
    from bot.services.knowledge import Knowledge

    settings = Settings(_env_file=None, knowledge_dir=knowledge, chroma_path=index, rapport_today=TODAY)  # type: ignore[call-arg]
    start = time.perf_counter()
    knowledge_ = Knowledge(settings)
    snap, today = knowledge_.snapshot(), dt.date.fromisoformat(TODAY)
    load_s = time.perf_counter() - start
    base_mb = peak_rss_mb()
    out: dict[str, Any] = {"task": name, "load_s": round(load_s, 2), "after_load_rss_mb": round(base_mb)}
    start = time.perf_counter()
    if name == "digest":
        from bot.services.digest import build_digest

        digest = build_digest(snap, today)
        out["customers_listed"] = len(digest.customers)
    elif name == "chart":
        from bot.charts import health_chart
        from bot.services.digest import health_points

        out["png_bytes"] = len(health_chart(health_points(snap, today), today))
    elif name == "segments":
        from bot.services.segments import build_segments

        report = build_segments(snap, today)
        out["segments"] = len(report.segments)
        out["method"] = report.method
        out["sizes"] = [s.size for s in report.segments]
    out["seconds"] = round(time.perf_counter() - start, 2)
    out["peak_rss_mb"] = round(peak_rss_mb())
    out["customers"] = len(snap.kb.customers)
    knowledge_.index.close()
    return out


def prepare(root: Path, customers: int, history: int, content: int) -> tuple[Path, Path, dict[str, Any]]:
    from bench.generate import generate

    knowledge, index = root / "knowledge", root / "index"
    figures: dict[str, Any] = {}
    if not (knowledge / "customers").is_dir():
        generate(knowledge, customers, history, content)
    if not index.is_dir():
        from bot.config import Settings
        from bot.index.indexer import Index

        settings = Settings(_env_file=None, knowledge_dir=knowledge, chroma_path=index, rapport_today=TODAY)  # type: ignore[call-arg]
        idx = Index(settings)
        start = time.perf_counter()
        report = idx.sync(full=True)
        idx.close()
        figures["index_build"] = {"seconds": round(time.perf_counter() - start), "texts": report.embedded}
        print(f"index built: {report.embedded} texts in {figures['index_build']['seconds']} s", flush=True)
    return knowledge, index, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir", type=Path)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--history", type=int, default=20, help="history entries per generated customer")
    parser.add_argument("--content", type=int, default=500)
    parser.add_argument("--task", choices=["load", "digest", "chart", "segments"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    knowledge, index = args.dir / "knowledge", args.dir / "index"
    if args.task:
        print(json.dumps(task(args.task, knowledge, index)))
        return
    knowledge, index, figures = prepare(args.dir, args.customers, args.history, args.content)
    for name in ("load", "digest", "chart", "segments"):
        done = subprocess.run(
            [sys.executable, __file__, str(args.dir), "--task", name], capture_output=True, text=True, check=True
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        figures[name] = result
        print(
            f"{name:>9}: {result['seconds']:>7.2f} s, peak RSS {result['peak_rss_mb']} MB "
            f"(after loading {result['customers']} customers: {result['after_load_rss_mb']} MB, "
            f"{result['load_s']} s)",
            flush=True,
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
