"""Run every benchmark, print a table, write bench/results.json (one key per figure).

    python bench/run.py            # 1,000 and 10,000 customers (about an hour on 2 cores)
    python bench/run.py --quick    # 1,000 customers, smaller samples (a few minutes)

Each measurement runs in its own process (`bench/tasks.py`) so peak memory is its own.
Synthetic folders come from `bench/generate.py` with a fixed seed and are cached
under bench/.work/.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.generate import generate  # noqa: E402

WORK = HERE / ".work"
TARGETS = {
    "embedding_ratio_vs_chromadb_default": (">=", 10),
    "reindex_nochange_10000_s": ("<", 2),
    "reindex_one_file_10000_p99_ms": ("<", 500),
    "reindex_one_file_watched_10000_p99_ms": ("<", 250),
    "ask_offline_10000_p99_ms": ("<", 100),
    "slack_ack_p99_ms": ("<", 100),
    "slack_ack_max_ms": ("<", 3000),
    "serve_startup_s": ("<", 3),
    "peak_rss_10000_mb": ("<", 1024),
}


def task(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(HERE / "tasks.py"), *args], capture_output=True, text=True, check=False, timeout=7200
    )
    if out.returncode != 0:
        raise SystemExit(f"bench task {args[0]} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def folder_for(customers: int) -> Path:
    path = WORK / f"knowledge-{customers}"
    if not (path / "customers").is_dir() or len(list((path / "customers").glob("*.md"))) != customers:
        generate(path, customers)
    return path


def at_size(customers: int, samples: int, results: dict[str, float]) -> None:
    knowledge, index = folder_for(customers), WORK / f"index-{customers}"
    print(f"-- {customers} customers: full build ...", flush=True)
    b = task("build", str(knowledge), str(index))
    results[f"index_build_{customers}_entries_per_s"] = b["entries_per_s"]
    results[f"index_build_{customers}_s"] = b["seconds"]
    results[f"index_build_{customers}_texts"] = b["texts"]
    results[f"index_disk_{customers}_mb"] = b["disk_mb"]
    results[f"index_build_{customers}_peak_rss_mb"] = b["peak_rss_mb"]
    print(f"-- {customers} customers: re-index ...", flush=True)
    r = task("reindex", str(knowledge), str(index), "5")
    results[f"reindex_nochange_{customers}_s"] = r["nochange_s"]
    results[f"reindex_nochange_{customers}_process_s"] = r["nochange_process_s"]
    results[f"reindex_nochange_{customers}_texts_embedded"] = r["nochange_texts"]
    results[f"hnsw_first_touch_{customers}_s"] = r["hnsw_first_touch_s"]
    results[f"reindex_one_file_{customers}_median_ms"] = r["one_file"]["median_ms"]
    results[f"reindex_one_file_{customers}_p99_ms"] = r["one_file"]["p99_ms"]
    results[f"reindex_one_file_watched_{customers}_median_ms"] = r["one_file_watched"]["median_ms"]
    results[f"reindex_one_file_watched_{customers}_p99_ms"] = r["one_file_watched"]["p99_ms"]
    print(f"-- {customers} customers: warm lookup and ask ...", flush=True)
    lat = task("latency", str(knowledge), str(index), str(samples))
    for name in ("lookup", "ask"):
        label = "ask_offline" if name == "ask" else name
        results[f"{label}_{customers}_median_ms"] = lat[name]["median_ms"]
        results[f"{label}_{customers}_p99_ms"] = lat[name]["p99_ms"]
    results[f"services_load_{customers}_s"] = lat["load_s"]
    results[f"peak_rss_{customers}_mb"] = max(b["peak_rss_mb"], r["peak_rss_mb"], lat["peak_rss_mb"])


def side_by_side(results: dict[str, float], quick: bool) -> None:
    print("-- embedding: Rapport vs chromadb default ...", flush=True)
    e = task("embedding", "200" if quick else "500")
    results["embedding_rapport_texts_per_s"] = e["rapport_minilm_texts_per_s"]
    results["embedding_chromadb_default_texts_per_s"] = e["chromadb_default_texts_per_s"]
    results["embedding_ratio_vs_chromadb_default"] = e["ratio"]
    print("-- indexing: Rapport vs a plain collection.add pipeline (100 customers) ...", flush=True)
    small = WORK / "knowledge-100"
    if not (small / "customers").is_dir():
        generate(small, 100, n_content=50, n_playbook=5)
    ours = task("build", str(small), str(WORK / "index-100"))
    plain = task("plain", str(small), str(WORK / "plain-100"))
    results["indexing_rapport_100_entries_per_s"] = ours["entries_per_s"]
    results["indexing_plain_100_entries_per_s"] = plain["entries_per_s"]
    results["indexing_ratio_vs_plain"] = ours["entries_per_s"] / plain["entries_per_s"]


def slack(results: dict[str, float], quick: bool) -> None:
    from bench.slack_load import measure  # the Slack pieces need the served app

    print("-- Slack: serve start-up and acks under load ...", flush=True)
    knowledge, index = folder_for(1000), WORK / "index-1000"
    s = measure(knowledge, index, concurrency=50, rounds=2 if quick else 4, model_delay=2.0)
    results.update(s)


def verdicts(results: dict[str, float]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, (op, target) in TARGETS.items():
        if key not in results:
            continue
        value = results[key]
        ok = value >= target if op == ">=" else value < target
        out[key] = f"{'met' if ok else 'NOT met'} ({value:.3g} {op} {target})"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 customers only, smaller samples")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    parser.add_argument("--skip-slack", action="store_true")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    results: dict[str, float] = {}
    started = time.time()
    side_by_side(results, args.quick)
    for size in (1000,) if args.quick else (1000, 10000):
        at_size(size, 50 if args.quick else 200, results)
    if not args.skip_slack:
        slack(results, args.quick)
    report = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": _cpus()},
        "quick": args.quick,
        "seconds": round(time.time() - started, 1),
        "results": {k: round(v, 3) for k, v in results.items()},
        "targets": verdicts(results),
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    width = max(map(len, results))
    for key, value in results.items():
        print(f"{key:<{width}}  {value:12.3f}")
    print()
    for key, verdict in report["targets"].items():
        print(f"target {key:<{width}}  {verdict}")
    print(f"\nwrote {args.out}")


def _cpus() -> int:
    import os

    return os.cpu_count() or 0


if __name__ == "__main__":
    main()
