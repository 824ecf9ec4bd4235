"""`rapport import` at scale: a 10,000-row HubSpot export into an empty folder, then the re-index after it.

    python bench/import_bench.py             # 10,000 rows (about 5 minutes on 2 cores)
    python bench/import_bench.py --rows 1000

Each step runs the real command line in its own process, as an admin would: the first import,
`rapport index` after it, the same import again (nothing may change), and an export where one row
in ten changed (phone, or an opt-out), with its re-index. The export comes from
`tests/exports.py` (seeded): the platforms' columns with blank cells, mixed date formats,
duplicate emails, bad emails, impossible dates and blank rows.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.exports import hubspot  # noqa: E402

WORK = HERE / ".work" / "import"
SUMMARY_RE = re.compile(r"created (\d+), updated (\d+), unchanged (\d+), rejected (\d+)")


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def rapport(*args: str) -> tuple[str, str]:
    """Run one command; returns 'wall s (cpu s)' and its output. The machine is shared, so CPU time
    is the steadier figure; wall time includes Python start-up and waiting for the cores."""
    started, cpu_started = time.perf_counter(), cpu()
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "RAPPORT_TODAY": "2026-11-22"},
        cwd=HERE.parent,
    )
    seconds = time.perf_counter() - started
    timing = f"{seconds:.1f} s wall, {cpu() - cpu_started:.1f} s CPU"
    if out.returncode not in (0, 1):
        raise SystemExit(f"rapport {args[0]} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return timing, out.stdout + out.stderr


def changed_export(source: Path, target: Path) -> int:
    """The same export with one row in ten changed: a new phone number, or an opt-out."""
    text = source.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    changed = 0
    for n, row in enumerate(rows[1:], start=1):
        if len(row) > 9 and n % 10 == 0:
            row[4], row[9] = ("+44 7700 900555", row[9]) if n % 20 else (row[4], "true")
            changed += 1
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    target.write_text(buf.getvalue(), encoding="utf-8")
    return changed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    rows = parser.parse_args().rows
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    export = hubspot(WORK / f"hubspot-{rows}.csv", rows)
    update = WORK / f"hubspot-{rows}-changed.csv"
    edits = changed_export(export.path, update)
    knowledge, index = WORK / "knowledge", WORK / "index"
    where = ["--knowledge", str(knowledge), "--index", str(index)]
    figures: list[tuple[str, str]] = []

    timing, out = rapport("import", str(export.path), "--no-index", *where)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    figures.append((f"import {rows:,} rows into an empty folder", timing))
    figures.append(("  the command's own time (no start-up)", _took(out)))
    figures.append(("  result", _summary(out)))
    figures.append(("  peak memory of the import process", f"{peak:.0f} MB"))

    timing, out = rapport("index", *where)
    figures.append(("re-index after it (rapport index)", timing))
    figures.append(("  result", _indexed(out)))

    timing, out = rapport("import", str(export.path), "--no-index", *where)
    figures.append(("the same import again", f"{timing}; {_took(out)} in the command"))
    figures.append(("  result", _summary(out)))

    timing, out = rapport("import", str(update), *where)
    figures.append((f"an export with {edits:,} rows changed, then its re-index", timing))
    figures.append(("  result", _summary(out)))
    figures.append(("  the import's own time", _took(out)))
    figures.append(("  the re-index", _indexed(out)))

    width = max(len(name) for name, _ in figures)
    print(f"rapport import benchmark: {rows:,}-row HubSpot export, {os.cpu_count()} CPUs")
    for name, value in figures:
        print(f"{name:<{width}}  {value}")


def _summary(out: str) -> str:
    found = SUMMARY_RE.search(out)
    return found.group(0) if found else "no summary"


def _took(out: str) -> str:
    found = re.search(r"import took ([\d.]+ s)", out)
    return found.group(1) if found else "?"


def _indexed(out: str) -> str:
    found = re.search(r"indexed: .*", out)
    return found.group(0) if found else "not indexed"


if __name__ == "__main__":
    main()
