"""Scenario folders of other businesses (tests/folders/*/scenarios.yaml) and how an answer is judged.

Shared by tests/test_scenarios.py (the rules that must always hold) and bench/drafts_quality.py (the
shares the issue asks for: facts in drafts, intent right, customer questions blocked).
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from bot.services.container import Services

FOLDERS = Path(__file__).parent / "folders"
# Checks that are rules (consent, privacy, honesty, identity): every one must hold in every run.
HARD = ("customer", "drafts", "draft_lacks", "warnings", "no_warnings", "blocked", "channel")
# Checks of quality: reported as shares by the bench, held to a floor by the tests.
SOFT = ("intent", "purpose", "draft_has", "facts_have")


@dataclass(frozen=True)
class Ask:
    scenario: str
    folder: str
    question: str
    flags: tuple[str, ...]
    context: str
    expect: dict[str, Any]


@dataclass
class Folder:
    name: str
    knowledge: Path
    today: dt.date
    asks: list[Ask] = field(default_factory=list)


def load_folders(root: Path = FOLDERS) -> list[Folder]:
    folders: list[Folder] = []
    for path in sorted(root.glob("*/scenarios.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        today = raw["today"] if isinstance(raw["today"], dt.date) else dt.date.fromisoformat(str(raw["today"]))
        folder = Folder(name=path.parent.name, knowledge=path.parent / raw.get("folder", "knowledge"), today=today)
        for s in raw["scenarios"]:
            for question in s["asks"]:
                folder.asks.append(
                    Ask(
                        scenario=s["id"],
                        folder=folder.name,
                        question=question,
                        flags=tuple(str(f) for f in s.get("flags") or ()),
                        context=s.get("context") or "",
                        expect=s.get("expect") or {},
                    )
                )
        folders.append(folder)
    return folders


def served(folder: Folder, work: Path) -> Services:
    """The folder copied into `work`, indexed, with its date pinned: the services `rapport ask` uses."""
    from bot.config import Settings
    from bot.services.container import build_services

    shutil.copytree(folder.knowledge, work / "knowledge")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, knowledge_dir=work / "knowledge", chroma_path=work / "index", rapport_today=folder.today
    )
    services = build_services(settings)
    services.knowledge.sync()
    return services


def answer_json(services: Services, ask: Ask) -> dict[str, Any]:
    """What `rapport ask --json` prints for this request."""
    return services.assistant.ask(ask.question, **ask_args(ask)).model_dump(mode="json")


def ask_args(ask: Ask) -> dict[str, Any]:
    """The CLI flags of a scenario as arguments of `Assistant.ask` (the service `rapport ask` calls)."""
    args: dict[str, Any] = {"context": ask.context}
    flags = list(ask.flags)
    if "--reply" in flags:
        args["intent"] = "reply"
    if "--outreach" in flags:
        args["intent"] = "outreach"
    if "--customer" in flags:
        args["customer_id"] = flags[flags.index("--customer") + 1]
    return args


def judge(answer: dict[str, Any], expect: dict[str, Any]) -> dict[str, bool]:
    """Each expectation of a scenario -> whether the answer (the `ask --json` object) meets it."""
    drafts = [d["text"] for d in answer["drafts"]]
    facts = " ".join(f["text"] for f in answer.get("facts", []))
    codes = {w["code"] for w in answer["warnings"]}
    out: dict[str, bool] = {}
    if "customer" in expect:
        got = answer["customer"]["id"] if answer["customer"] else None
        out["customer"] = got == expect["customer"]
    if "intent" in expect:
        out["intent"] = answer["intent"] == expect["intent"]
    if expect.get("purpose"):
        out["purpose"] = answer.get("purpose") == expect["purpose"]
    if "drafts" in expect:
        out["drafts"] = bool(drafts) == bool(expect["drafts"])
    if expect.get("draft_has"):
        out["draft_has"] = all(any(alt in d for d in drafts for alt in group) for group in expect["draft_has"])
    if expect.get("draft_lacks"):
        out["draft_lacks"] = not any(bad in d for d in drafts for bad in expect["draft_lacks"])
    if expect.get("facts_have"):
        out["facts_have"] = all(any(alt in facts for alt in group) for group in expect["facts_have"])
    if expect.get("warnings"):
        out["warnings"] = set(expect["warnings"]) <= codes
    if expect.get("no_warnings"):
        out["no_warnings"] = not (set(expect["no_warnings"]) & codes)
    if expect.get("channel") and drafts:
        out["channel"] = answer["drafts"][0]["channel"] == expect["channel"]
    if expect.get("intent") == "reply" and expect.get("drafts"):
        out["blocked"] = bool(drafts)  # a customer's own question must never go unanswered
    return out
