"""The guard against the held-out set (tests/data/guard): catch rate on hostile sentences, false drops on benign.

    .venv/bin/python bench/guard_heldout.py [--misses]

The situation in context.yaml is written out as a knowledge folder and loaded by
the real parser; the guard's context is built by the Assistant's own
`guard_context`, with the follow-up promise the offline drafter makes. Each
sentence goes into an email draft between a greeting and a thank-you in its
language (a greeting line is the greeting itself). A hostile sentence is caught
when the guard reports a violation; a benign one is a false drop when the guard
reports, removes or rewrites anything. Targets (issue 14): 100% caught for the
kinds amount, percentage, discount and title; under 2% false drops.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.answer import Draft, Violation  # noqa: E402
from bot.core.plan import DraftPlan, Facts, Reading  # noqa: E402
from bot.guard import check  # noqa: E402
from bot.guard.draft import greeting_span  # noqa: E402
from bot.knowledge import folder  # noqa: E402
from bot.services.ask import Assistant  # noqa: E402
from bot.services.drafts import follow_up_promise  # noqa: E402
from bot.services.knowledge import Snapshot  # noqa: E402
from bot.services.lookup import CustomerFinder  # noqa: E402

DATA = ROOT / "tests" / "data" / "guard"
TARGET_KINDS = ("amount", "percentage", "discount", "title")
MAX_FALSE_DROPS = 0.02
GREETING = {"en": "Hi Robin,", "de": "Hallo Robin,", "fr": "Bonjour Robin,", "es": "Hola Robin,"}
THANKS = {
    "en": "Thank you for your patience.",
    "de": "Vielen Dank für Ihre Geduld.",
    "fr": "Merci pour votre patience.",
    "es": "Gracias por su paciencia.",
}
SIGN_OFF = {"en": "Warm wishes", "de": "Viele Grüße", "fr": "Bien cordialement", "es": "Un saludo"}


def _front_matter(meta: dict[str, Any], body: str) -> str:
    return f"---\n{yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)}---\n{body}"


def write_folder(ctx: dict[str, Any], root: Path) -> None:
    """context.yaml as a knowledge folder, in DESIGN.md's format."""
    c = dict(ctx["customer"])
    history, notes, private = c.pop("history"), c.pop("notes"), c.pop("private")
    body = "## History\n" + "".join(f"- {line}\n" for line in history)
    body += f"\n## Notes\n{notes}\n## Private\n{private}"
    files = {"customers/robin.md": _front_matter(c, body)}
    for other in ctx["other_customers"]:
        files[f"customers/{other['id']}.md"] = _front_matter(other, "")
    for page in ctx["playbook"]:
        text = " ".join(page["sentences"])
        if page.get("staff_only"):
            text += "\n\n## Staff only\n" + " ".join(page["staff_only"])
        files[page["file"]] = _front_matter({"title": page["title"], "topics": page["topics"]}, text + "\n")
    for item in ctx["content"]:
        meta = {k: v for k, v in item.items() if k != "file"}
        files[item["file"]] = _front_matter(meta, f"{item['title']}.\n")
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@dataclass
class Tally:
    total: int = 0
    hit: int = 0
    items: list[str] = field(default_factory=list)  # the misses (hostile) or false drops (benign)

    def add(self, hit: bool, text: str) -> None:
        self.total += 1
        self.hit += hit
        if not hit:
            self.items.append(text)

    @property
    def rate(self) -> float:
        return self.hit / self.total if self.total else 1.0


@dataclass
class Results:
    caught: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))  # by "lang", "code", "kind"
    right_code: Tally = field(default_factory=Tally)  # caught with the expected code (or one in `also`)
    passed: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))  # benign, by "lang", "kind"
    millis: list[float] = field(default_factory=list)  # time to check each draft

    def false_drop_rate(self) -> float:
        all_ = self.passed["all"]
        return 1 - all_.rate


def _draft(lang: str, sentence: str) -> Draft:
    if greeting_span(sentence) == sentence or (greeting_span(sentence) and len(sentence) < 60):
        text = f"{sentence}\n\n{THANKS[lang]}\n\n{SIGN_OFF[lang]}"
    else:
        text = f"{GREETING[lang]}\n\n{sentence} {THANKS[lang]}\n\n{SIGN_OFF[lang]}"
    return Draft(text=text, channel="email")


def context_for_set() -> Any:
    ctx = yaml.safe_load((DATA / "context.yaml").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        write_folder(ctx, Path(tmp))
        kb = folder.load(Path(tmp))
    bad = [str(p) for p in kb.errors]
    if bad:
        raise SystemExit("context.yaml does not make a valid knowledge folder:\n" + "\n".join(bad))
    customer = kb.customers[ctx["customer"]["id"]]
    today = ctx["today"] if isinstance(ctx["today"], dt.date) else dt.date.fromisoformat(ctx["today"])
    plan = DraftPlan(
        customer=customer,
        channel="email",
        reading=Reading(intent="reply"),
        question="What should I reply to Robin about the trainer?",
        facts=Facts(),
        ideas=[],
        today=today,
        reply_within=5,
    )
    promise = follow_up_promise(plan)
    assert ctx["follow_up"]["text"].removeprefix("by ") in promise, promise
    snap = Snapshot(kb=kb, finder=CustomerFinder(kb.customers, None))
    return Assistant.guard_context(snap, plan)


def measure() -> Results:
    guard_ctx = context_for_set()
    results = Results()
    for lang in GREETING:  # the scaffold itself must pass, or every figure below is wrong
        fixed, violations = check(_draft(lang, THANKS[lang]), guard_ctx)
        assert violations == [] and fixed is not None, (lang, violations)
    for item in yaml.safe_load((DATA / "hostile.yaml").read_text(encoding="utf-8")):
        started = time.perf_counter()
        fixed, violations = check(_draft(item["lang"], item["text"]), guard_ctx)
        results.millis.append(1000 * (time.perf_counter() - started))
        codes = {v.code for v in violations}
        label = f"{item['lang']} {item['kind']}: {item['text']}  -> {_codes(violations)}"
        for key in ("all", item["lang"], f"code:{item['code']}", f"kind:{item['kind']}"):
            results.caught[key].add(bool(violations), label)
        if item["kind"] in TARGET_KINDS:
            results.caught[f"target:{item['lang']}"].add(bool(violations), label)
        if violations:
            results.right_code.add(bool(codes & {item["code"], *item.get("also", [])}), label)
    for item in yaml.safe_load((DATA / "benign.yaml").read_text(encoding="utf-8")):
        draft = _draft(item["lang"], item["text"])
        started = time.perf_counter()
        fixed, violations = check(draft, guard_ctx)
        results.millis.append(1000 * (time.perf_counter() - started))
        ok = not violations and fixed is not None and fixed.text == draft.text
        label = f"{item['lang']} {item['kind']}: {item['text']}  -> {_codes(violations)}"
        for key in ("all", item["lang"], f"kind:{item['kind']}"):
            results.passed[key].add(ok, label)
    return results


def _codes(violations: list[Violation]) -> str:
    return "; ".join(f"{v.code}: {v.detail}" for v in violations) or "nothing"


def report(results: Results, misses: bool) -> str:
    lines = ["Hostile (caught / total):"]
    for key in sorted(results.caught, key=lambda k: (k.split(":")[0] != "all", k)):
        t = results.caught[key]
        lines.append(f"  {key:<28} {t.hit:>4} / {t.total:<4} {100 * t.rate:6.1f}%")
    rc = results.right_code
    lines.append(f"  caught with the expected code {rc.hit} / {rc.total} ({100 * rc.rate:.1f}%)")
    lines.append("Benign (false drops / total):")
    for key in sorted(results.passed, key=lambda k: (k != "all", k)):
        t = results.passed[key]
        lines.append(f"  {key:<28} {t.total - t.hit:>4} / {t.total:<4} {100 * (1 - t.rate):6.1f}%")
    ms = sorted(results.millis)
    lines.append(
        f"Time to check one draft (3 sentences): median {ms[len(ms) // 2]:.1f} ms, "
        f"p99 {ms[int(0.99 * len(ms))]:.1f} ms over {len(ms)} drafts"
    )
    if misses:
        lines.append("Missed hostile:")
        lines += [f"  {m}" for m in results.caught["all"].items]
        lines.append("False drops:")
        lines += [f"  {m}" for m in results.passed["all"].items]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--misses", action="store_true", help="list every missed hostile and false drop")
    args = parser.parse_args()
    print(report(measure(), args.misses))


if __name__ == "__main__":
    main()
