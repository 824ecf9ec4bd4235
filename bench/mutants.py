"""Thousands of broken knowledge files through the real parse -> index -> ask path, under a watchdog.

    python bench/mutants.py                  # 2,000 files (about 15 minutes on 2 free cores)
    python bench/mutants.py --files 200      # a quick look

The mutants (`bench/mutate.py`, fixed seed) go into folders next to the good files (the sample
folder and a few synthetic ones), a batch at a time. A worker process runs, per batch: parse each
file, `rapport check`'s load, `rapport index`'s sync, then an `ask` and a lookup about every mutant
that became a customer (or names one whose file is broken). The parent watches it: a step using
more than `--hang` CPU seconds (CPU, so a busy machine does not count) or no progress at all for
`--stall` seconds (a read that blocks) is a hang, a resident size over `--memory` MB a blow-up, an
exception or a dead worker a crash; the file is named, and the batch runs again without it. It
prints crashes, hangs and blow-ups (target 0), and good files indexed next to bad ones (target all).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.mutate import Mutant, base_files, corpus, place  # noqa: E402

SAMPLE = HERE.parent / "knowledge"
MARKER = "MUTANT-OUTSIDE-MARKER-4417"
OLD = 1_600_000_000  # good files are older than every mutant: a copied id never takes over a good customer


@dataclass
class Failure:
    kind: str  # crash | hang | blowup
    file: str
    step: str
    detail: str


@dataclass
class Figures:
    files: int = 0
    batches: int = 0
    failures: list[Failure] = field(default_factory=list)
    good_checked: int = 0
    good_indexed: int = 0
    missing: list[str] = field(default_factory=list)
    leaks: int = 0
    served: int = 0
    not_served: int = 0
    peak_mb: int = 0
    slowest: tuple[float, str] = (0.0, "")
    seconds: float = 0.0

    def count(self, kind: str) -> int:
        return sum(1 for f in self.failures if f.kind == kind)


# -- the worker: one batch folder, every step announced before it starts ------------------


def _say(**data: Any) -> None:
    print(json.dumps(data), flush=True)


def worker(batch: Path, asks: int) -> None:
    from bot.config import Settings
    from bot.knowledge import files, folder
    from bot.services.container import build_services

    plan = json.loads((batch / "plan.json").read_text())
    root, good = batch / "knowledge", set(plan["good"])
    settings = Settings(
        _env_file=None, knowledge_dir=root, chroma_path=batch / "index", rapport_today=dt.date(2026, 11, 22)
    )  # type: ignore[call-arg]
    services = build_services(settings)
    crashes: list[str] = []

    def step(name: str, rel: str, fn: Callable[[], object]) -> object:
        _say(step=name, file=rel)
        started, cpu = time.monotonic(), time.process_time()
        try:
            return fn()
        except Exception as exc:
            crashes.append(rel)
            _say(crash=rel, step=name, error=f"{type(exc).__name__}: {exc}"[:300], trace=traceback.format_exc()[-1500:])
            return None
        finally:
            took, used = time.monotonic() - started, time.process_time() - cpu
            _say(took=round(took, 3), cpu=round(used, 3), step=name, file=rel)

    mine = [e.rel for e in files.scan(root) if e.rel not in good]
    for rel in mine:
        step("parse", rel, lambda rel=rel: folder.read_file(root, rel))
    for name, fn in (("check", lambda: folder.load(root)), ("index", lambda: services.knowledge.sync())):
        step(name, "*", fn)
        if crashes:
            sys.exit(3)  # the whole folder failed: the parent halves the batch to find the file
    snap = services.knowledge.snapshot()
    kb, assistant = snap.kb, services.assistant
    for rel in mine[:asks]:
        customer = kb.customer_by_path(rel)
        if customer is not None:
            question = f"What should I reply to {customer.name} about their order?"
            step("ask", rel, lambda q=question, c=customer.id: assistant.ask(q, customer_id=c))
            step("lookup", rel, lambda n=customer.name: snap.finder.find(n))
        elif (broken := kb.broken_by_path(rel)) is not None:
            question = f"What should I reply to {broken.name or Path(rel).stem}?"

            def ask_broken(q: str = question) -> object:
                return services.knowledge.explain_not_found(assistant.ask(q), q)

            step("ask", rel, ask_broken)
        elif (item := next((i for i in [*kb.content, *kb.playbook] if i.path == rel), None)) is not None:
            step("ask", rel, lambda t=item.title: assistant.ask(f"What should I tell Jane Okafor about {t}?"))
    manifest = services.knowledge.index.manifest()
    missing = []
    for rel, cid in plan["good"].items():
        entry = manifest.files.get(rel)
        ok = entry is not None and bool(entry.ids) and not any(p.severity == "error" for p in entry.problems)
        if cid and (rel not in [c.path for c in kb.customers.values() if c.id == cid]):
            ok = False
        if not ok:
            missing.append(rel)
    leaked = sum(1 for p in (batch / "index").rglob("*") if p.is_file() and MARKER.encode() in p.read_bytes())
    served = sum(
        1 for rel in mine if kb.customer_by_path(rel) or any(i.path == rel for i in [*kb.content, *kb.playbook])
    )
    _say(
        result={
            "good": len(plan["good"]),
            "missing": missing,
            "leaks": leaked,
            "served": served,
            "mine": len(mine),
            "crashes": crashes,
        }
    )


# -- the parent: batches, the watchdog, the figures -------------------------------------


def _rss_mb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int) -> float:
    """CPU time the process used so far (user + system): work done, whatever else loads the machine."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _mutant_of(rel: str, mutants: list[Mutant]) -> Mutant | None:
    name = Path(rel.rstrip("/")).name
    return next((m for m in mutants if name.startswith(Path(m.rel).stem.split("-", 1)[0] + "-")), None)


@dataclass
class Base:
    work: Path
    knowledge: Path
    index: Path
    good: dict[str, str | None]  # rel -> customer id (None for content and playbook)


def build_base(work: Path) -> Base:
    """The good files, made old, and their index (built once, copied into every batch)."""
    import re

    knowledge = work / "base" / "knowledge"
    shutil.rmtree(work / "base", ignore_errors=True)
    good: dict[str, str | None] = {}
    for rel, text in base_files(SAMPLE).items():
        path = knowledge / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        os.utime(path, (OLD, OLD))
        found = re.search(r"^id:\s*(\S+)", text.lstrip("\ufeff"), re.M) if rel.startswith("customers/") else None
        good[rel] = found.group(1) if found else None
    (work / "outside.md").write_text(f"---\nid: x-out\nname: Otto Outside\nsegment: b2c\n---\n{MARKER}\n")
    index = work / "base" / "index"
    from bot.config import Settings
    from bot.index.indexer import Index

    settings = Settings(_env_file=None, knowledge_dir=knowledge, chroma_path=index)  # type: ignore[call-arg]
    built = Index(settings)
    built.sync()
    built.close()
    return Base(work, knowledge, index, good)


def run_batch(base: Base, mutants: list[Mutant], name: str, args: argparse.Namespace, figures: Figures) -> None:
    """Run one batch; a file that kills, hangs or blows up the worker is recorded, and the rest run again."""
    pending = list(mutants)
    while pending:
        outcome = _run_once(base, pending, name, args, figures)
        if outcome is None:
            return
        failure, culprit = outcome
        if culprit is None:  # a whole-folder step: halve until one file is left
            if len(pending) == 1:
                figures.failures.append(Failure(failure.kind, pending[0].rel, failure.step, failure.detail))
                return
            half = len(pending) // 2
            run_batch(base, pending[:half], name + "a", args, figures)
            run_batch(base, pending[half:], name + "b", args, figures)
            return
        figures.failures.append(Failure(failure.kind, culprit.rel, failure.step, failure.detail))
        pending.remove(culprit)


def _run_once(
    base: Base, mutants: list[Mutant], name: str, args: argparse.Namespace, figures: Figures
) -> tuple[Failure, Mutant | None] | None:
    batch = base.work / "batches" / name
    shutil.rmtree(batch, ignore_errors=True)
    shutil.copytree(base.knowledge, batch / "knowledge", symlinks=True)
    shutil.copytree(base.index, batch / "index")
    for m in mutants:
        place(batch / "knowledge", m, base.work / "outside.md")
    (batch / "plan.json").write_text(json.dumps({"good": base.good}))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(batch), "--asks", str(args.asks)]
    log = (batch / "worker.log").open("w")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
    lines: queue.Queue[str] = queue.Queue()
    eof = threading.Event()

    def read() -> None:
        for line in proc.stdout or []:
            lines.put(line)
        eof.set()

    threading.Thread(target=read, daemon=True).start()
    current, last, result, error = ("start", "*"), time.monotonic(), None, ""
    step_cpu = 0.0
    failure: Failure | None = None
    while True:
        try:
            data = json.loads(lines.get(timeout=0.2))
            last = time.monotonic()
            if "step" in data and "took" not in data:
                current, step_cpu = (data["step"], data["file"]), _cpu_seconds(proc.pid)
            elif "took" in data and data["cpu"] > figures.slowest[0]:
                figures.slowest = (data["cpu"], f"{data['step']} {data['file']}, {data['took']:.1f} s wall")
            elif "crash" in data and data["crash"] == "*":
                error = data["error"]  # the worker stops; the batch is halved to find the file
            elif "crash" in data:
                m = _mutant_of(data["crash"], mutants)
                figures.failures.append(Failure("crash", m.rel if m else data["crash"], data["step"], data["error"]))
            elif "result" in data:
                result = data["result"]
        except queue.Empty:
            pass
        rss = _rss_mb(proc.pid)
        figures.peak_mb = max(figures.peak_mb, rss)
        if rss > args.memory:
            failure = Failure("blowup", current[1], current[0], f"resident {rss} MB")
        elif _cpu_seconds(proc.pid) - step_cpu > args.hang:
            failure = Failure("hang", current[1], current[0], f"one step used over {args.hang:.0f} s of CPU")
        elif time.monotonic() - last > args.stall:
            failure = Failure("hang", current[1], current[0], f"no progress for {args.stall:.0f} s")
        elif proc.poll() is not None and eof.is_set() and lines.empty():
            if result is None:
                failure = Failure("crash", current[1], current[0], error or f"worker exited with {proc.returncode}")
            break
        if failure is not None:
            proc.kill()
            break
    proc.wait()
    log.close()
    if failure is not None:
        return failure, _mutant_of(failure.file, mutants) if failure.file != "*" else None
    figures.batches += 1
    figures.good_checked += result["good"]
    figures.good_indexed += result["good"] - len(result["missing"])
    figures.missing += result["missing"]
    figures.leaks += result["leaks"]
    figures.served += result["served"]
    figures.not_served += result["mine"] - result["served"]
    if not args.keep:
        shutil.rmtree(batch, ignore_errors=True)
    return None


def run(args: argparse.Namespace) -> Figures:
    """The corpus of `args.files` mutants (plus one of each special kind), batch by batch."""
    started = time.monotonic()
    args.work.mkdir(parents=True, exist_ok=True)
    base = build_base(args.work)
    mutants = corpus(args.files, args.seed, SAMPLE, frozenset(args.skip))
    figures = Figures(files=len(mutants))
    for start in range(0, len(mutants), args.batch):
        run_batch(base, mutants[start : start + args.batch], f"b{start:05d}", args, figures)
        done = min(start + args.batch, len(mutants))
        print(  # a line per batch: a long run can be read while it goes
            f"{done}/{len(mutants)} files: {len(figures.failures)} failures, good indexed "
            f"{figures.good_indexed}/{figures.good_checked}, {time.monotonic() - started:.0f} s",
            file=sys.stderr,
            flush=True,
        )
    figures.seconds = time.monotonic() - started
    return figures


def report(f: Figures, args: argparse.Namespace) -> str:
    good_per = f.good_checked // max(f.batches, 1)
    lines = [
        f"mutation corpus: {f.files:,} files (seed {args.seed}), {f.batches} worker runs, "
        f"{good_per} good files in each",
        f"crashes: {f.count('crash')}   hangs (a step over {args.hang:.0f} CPU-s, or {args.stall:.0f} s stalled): "
        f"{f.count('hang')}   "
        f"blow-ups (resident > {args.memory:,} MB): {f.count('blowup')}",
        f"good files indexed next to bad ones: {f.good_indexed:,}/{f.good_checked:,}",
        f"links followed out of the folder: {f.leaks}",
        f"mutants served (with or without warnings): {f.served:,}; not served (errors, skipped): {f.not_served:,}",
        f"costliest step: {f.slowest[0]:.1f} CPU-s ({f.slowest[1]}); peak worker RSS {f.peak_mb} MB; "
        f"total {f.seconds / 60:.1f} min",
    ]
    lines += [f"  {x.kind}: {x.file} during {x.step}: {x.detail}" for x in f.failures]
    lines += [f"  good file not indexed: {rel}" for rel in sorted(set(f.missing))]
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--files", type=int, default=2000)
    p.add_argument("--seed", type=int, default=10)
    p.add_argument("--batch", type=int, default=50, help="mutants per worker folder")
    p.add_argument("--asks", type=int, default=10_000, help="asks per batch (all by default)")
    p.add_argument("--hang", type=float, default=120.0, help="CPU seconds one step may use")
    p.add_argument("--stall", type=float, default=600.0, help="seconds without any progress (a blocked read)")
    p.add_argument("--memory", type=int, default=2048, help="resident MB counted as a blow-up")
    p.add_argument("--work", type=Path, default=HERE / ".work" / "mutants")
    p.add_argument("--keep", action="store_true", help="keep the batch folders")
    p.add_argument("--skip", action="append", default=[], metavar="KIND", help="leave out a special kind of file")
    p.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    return p


def main() -> int:
    args = parser().parse_args()
    if args.worker:
        worker(args.worker, args.asks)
        return 0
    figures = run(args)
    print(report(figures, args))
    bad = figures.failures or figures.missing or figures.leaks
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
