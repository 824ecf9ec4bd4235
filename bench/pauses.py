"""Pauses in a warm bot: garbage collections and any other stall, main's code against this branch's, A B A B.

    python bench/pauses.py [--customers 10000] [--asks 100] [--rounds 2] [--base /path/to/main/checkout]

Each run is a fresh process on `bench/.work/knowledge-N` and its built index `bench/.work/index-N`
(`python bench/tasks.py build ...` makes it): it loads the services, warms them with a few asks,
then times, while N offline asks and one reload run:

- every garbage collection (`gc.callbacks`), by generation: count, longest, total;
- a ticker thread that sleeps 2 ms at a time: its longest overshoot is the longest stall any
  thread saw, whatever held the GIL (a collection, a long C call, the load itself);
- one explicit `gc.collect()` at the end: what the next automatic full collection would cost.

A runs with PYTHONPATH on `--base` (main's code, checked out at a commit before this change), B on
this checkout. The machine's load average is printed with every run: compare runs side by side.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def child(knowledge: Path, index: Path, asks: int) -> dict[str, Any]:
    import gc

    import bot  # from PYTHONPATH (A: main's checkout) before tasks.py puts this checkout first

    sys.path.insert(0, str(HERE))
    from tasks import settings  # type: ignore[import-not-found]

    assert Path(bot.__file__).parent.parent == Path(os.environ["PYTHONPATH"]), "the code measured is not PYTHONPATH's"

    from bot.services.container import build_services

    started = time.perf_counter()
    services = build_services(settings(knowledge, index))
    services.knowledge.snapshot()
    load_s = time.perf_counter() - started
    warm_up = getattr(services.knowledge, "warm_up", None)  # what a serving process does once it is ready
    if warm_up is not None:
        warm_up()
    questions_asked = questions(knowledge, asks + 5)
    for q in questions_asked[:5]:
        services.assistant.ask(q)
    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    began: list[float] = []
    doing = ["asks"]
    full: list[str] = []  # each full collection: how long, and during what

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            began.append(time.perf_counter())
        elif began:
            took = time.perf_counter() - began.pop()
            pauses[info["generation"]].append(took)
            if info["generation"] == 2:
                full.append(f"{took * 1000:.0f}ms/{doing[0]}")

    stalls: list[tuple[float, str]] = []
    stop = threading.Event()

    def ticker() -> None:
        while not stop.is_set():
            before = time.perf_counter()
            time.sleep(0.002)
            stalls.append((time.perf_counter() - before - 0.002, doing[0]))

    gc.callbacks.append(on_gc)
    tick = threading.Thread(target=ticker, daemon=True)
    tick.start()
    ask_times: list[float] = []
    for q in questions_asked[5:]:
        t0 = time.perf_counter()
        services.assistant.ask(q)
        ask_times.append(time.perf_counter() - t0)
    doing[0] = "reload"
    t0 = time.perf_counter()
    services.knowledge.reload()
    reload_s = time.perf_counter() - t0
    # The replaced folder is freed in the background, a slice at a time (bot.heap.let_go); the ticker
    # keeps running until it is gone. Code from before that change freed it inside the reload.
    doing[0] = "free"
    t0 = time.perf_counter()
    wait_released = getattr(importlib.import_module("bot.heap"), "wait_released", None)
    if wait_released is not None:
        wait_released(120)
    free_s = time.perf_counter() - t0
    stop.set()
    tick.join()
    gc.callbacks.remove(on_gc)
    t0 = time.perf_counter()
    gc.collect()
    full_ms = (time.perf_counter() - t0) * 1000
    return {
        "load_s": load_s,
        "reload_s": reload_s,
        "free_s": free_s,
        "asks": len(ask_times),
        "ask_max_ms": max(ask_times) * 1000,
        "gc_counts": {g: len(p) for g, p in pauses.items()},
        "gc_longest_ms": max((p for ps in pauses.values() for p in ps), default=0) * 1000,
        "gc_total_ms": sum(p for ps in pauses.values() for p in ps) * 1000,
        "stall_longest_ms": max(stalls, default=(0.0, ""))[0] * 1000,
        "stall_longest_during": max(stalls, default=(0.0, "-"))[1],
        "full_collect_ms": full_ms,
        "frozen": gc.get_freeze_count(),
        "full_collections": " ".join(full) or "-",
    }


def questions(knowledge: Path, n: int) -> list[str]:
    """Asks about customers picked at random, read from their files (no second parse of the folder)."""
    import random
    import re

    files = sorted((knowledge / "customers").glob("*.md"))
    out: list[str] = []
    for i, path in enumerate(random.Random(11).sample(files, min(n, len(files)))):
        text = path.read_text(encoding="utf-8")
        name = re.search(r"^name: (.+)$", text, re.M)
        said = re.findall(r"^- \d{4}-\d\d-\d\d \S+ in: (.+)$", text, re.M)
        who = name[1].strip() if name else path.stem
        out.append(
            [
                f"How should I answer {who} about this: {said[-1] if said else 'their order'}",
                f"Should I check in with {who} this week?",
                f"{who} asked about delivery times, what do I reply?",
            ][i % 3]
        )
    return out


def run(code: Path, knowledge: Path, index: Path, asks: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(code), "ANONYMIZED_TELEMETRY": "False"}
    args = [sys.executable, __file__, "--child", str(knowledge), str(index), str(asks)]
    load = os.getloadavg()[0]
    out = subprocess.run(args, env=env, capture_output=True, text=True, check=False, cwd=code)
    if out.returncode != 0:
        raise SystemExit(f"run on {code} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["load_before"] = load
    result["load_after"] = os.getloadavg()[0]
    return result


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        knowledge, index, asks = Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
        print(json.dumps(child(knowledge, index, asks)))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=10000)
    parser.add_argument("--asks", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--base", type=Path, help="a checkout of main before this change (A); default: B only")
    args = parser.parse_args()
    knowledge = HERE / ".work" / f"knowledge-{args.customers}"
    index = HERE / ".work" / f"index-{args.customers}"
    if not (index / "manifest.json").exists():
        raise SystemExit(f"build the index first: python bench/tasks.py build {knowledge} {index}")
    sides = [("A main", args.base), ("B this", REPO)] if args.base else [("B this", REPO)]
    print(
        f"{'run':<8} {'load':>9} {'gc n0/n1/n2':>13} {'gc max':>9} {'stall max (during)':>18} {'full gc':>9} "
        f"{'ask max':>9} {'reload':>8} {'freed in':>8} {'frozen':>9}  full collections (during)"
    )
    for _ in range(args.rounds):
        for name, code in sides:
            r = run(code, knowledge, index, args.asks)
            counts = "/".join(str(r["gc_counts"][k]) for k in ("0", "1", "2"))
            print(
                f"{name:<8} {r['load_before']:4.1f}-{r['load_after']:<4.1f} {counts:>13} {r['gc_longest_ms']:7.0f}ms "
                f"{r['stall_longest_ms']:5.0f}ms/{r['stall_longest_during']:<6} "
                f"{r['full_collect_ms']:7.0f}ms {r['ask_max_ms']:7.0f}ms "
                f"{r['reload_s']:7.2f}s {r.get('free_s', 0):7.2f}s {r['frozen']:>9}  {r['full_collections']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
