"""How good the offline drafts are on businesses unlike the sample (issue 9's figures).

    .venv/bin/python bench/drafts_quality.py [--folders tests/folders] [--verbose]

For every scenario folder (tests/folders/*/scenarios.yaml, written apart from the rules), every
paraphrase of every request goes through the same service `rapport ask --json` calls, on a fresh
index, with the folder's date pinned. Prints, per folder and overall:

- facts in draft: of the requests whose answer must state a fact, the share whose draft states it;
- intent right: the share read as the scenario says (reply / outreach / fact), purpose included;
- blocked: of the customers' own questions, the share left with no draft (the target is 0);
- rules broken: consent, identity, staff-only and other-plan leaks, warnings (the target is 0).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.scenarios import FOLDERS, HARD, Ask, Folder, answer_json, judge, load_folders, served


def run_folder(folder: Folder) -> list[tuple[Ask, dict[str, bool], dict[str, object]]]:
    work = Path(tempfile.mkdtemp(prefix=f"bench-{folder.name}-"))
    try:
        services = served(folder, work)
        results = []
        for ask in folder.asks:
            answer = answer_json(services, ask)
            results.append((ask, judge(answer, ask.expect), answer))
        return results
    finally:
        shutil.rmtree(work, ignore_errors=True)


def share(values: list[bool]) -> str:
    return f"{sum(values)}/{len(values)} ({100 * sum(values) / len(values):.0f}%)" if values else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folders", type=Path, default=FOLDERS)
    parser.add_argument("--verbose", action="store_true", help="print every failed check with the draft")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    figures: dict[str, dict[str, str]] = {}
    overall: dict[str, list[bool]] = defaultdict(list)
    started = time.monotonic()
    for folder in load_folders(args.folders):
        per: dict[str, list[bool]] = defaultdict(list)
        for ask, checks, answer in run_folder(folder):
            per["facts"] += [checks["draft_has"]] if "draft_has" in checks else []
            per["intent"] += [checks.get("intent", True) and checks.get("purpose", True)] if "intent" in checks else []
            per["blocked"] += [not checks["blocked"]] if "blocked" in checks else []
            per["rules"] += [all(checks[k] for k in HARD if k in checks and k != "blocked")]
            failed = [k for k, ok in checks.items() if not ok]
            if args.verbose and failed:
                drafts = answer["drafts"]
                print(f"[{ask.scenario}] {ask.question!r} failed {failed}")
                print(f"    read as {answer['intent']}/{answer.get('purpose')}: {answer['reading']['why']}")  # type: ignore[index]
                if drafts:
                    print("    " + drafts[0]["text"].replace("\n", "\n    "))  # type: ignore[index]
        for key, values in per.items():
            overall[key] += values
        figures[folder.name] = {k: share(v) for k, v in per.items()}
    figures["all"] = {k: share(v) for k, v in overall.items()}
    print(f"\n{'folder':<20} {'facts in draft':<18} {'intent right':<18} {'blocked':<14} {'rules kept':<14}")
    for name, f in figures.items():
        cells = [f.get("facts", "-"), f.get("intent", "-"), f.get("blocked", "-"), f.get("rules", "-")]
        print(f"{name:<20} {cells[0]:<18} {cells[1]:<18} {cells[2]:<14} {cells[3]:<14}")
    print(f"\n{len(overall['rules'])} requests in {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
