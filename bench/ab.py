"""One `bench/tasks.py` task, main's code (A) against this checkout's (B), alternating A B A B.

    python bench/ab.py --base /path/to/main/checkout [--rounds 2] TASK ARGS...
    python bench/ab.py --base ../main reindex bench/.work/knowledge-10000 bench/.work/index-10000 30

Each run is a fresh process running that checkout's own `bench/tasks.py` (so its own code); the
figures it prints are flattened into one line, with the machine's load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def flatten(result: dict[str, Any], prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in result.items():
        if isinstance(value, dict):
            out |= flatten(value, f"{prefix}{key}.")
        elif isinstance(value, int | float):
            out[f"{prefix}{key}"] = float(value)
    return out


def run(code: Path, task: list[str]) -> dict[str, float]:
    load = os.getloadavg()[0]
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    out = subprocess.run(
        [sys.executable, str(code / "bench" / "tasks.py"), *task],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=7200,
    )
    if out.returncode != 0:
        raise SystemExit(f"{code}: task failed:\n{out.stderr[-3000:]}")
    figures = flatten(json.loads(out.stdout.strip().splitlines()[-1]))
    return {"load_before": load, **figures, "load_after": os.getloadavg()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, required=True, help="a checkout of main before the change (A)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("task", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    for _ in range(args.rounds):
        for name, code in (("A main", args.base.resolve()), ("B this", REPO)):
            figures = run(code, [str(Path(a).resolve()) if Path(a).exists() else a for a in args.task])
            shown = "  ".join(f"{k}={v:.3g}" for k, v in figures.items())
            print(f"{name}: {shown}", flush=True)


if __name__ == "__main__":
    main()
