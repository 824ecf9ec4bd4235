"""Rapport on three businesses unlike the sample (tests/folders/), through the service `rapport ask` calls.

The rules hold for every request, whatever the wording: a customer's own question is never left
without a draft, staff-only guidance and private notes never reach a draft, outreach respects
consent and cadence, the customer is the one the scenario names. The quality of the drafts (facts
stated, request read right) is held to a floor here and measured by bench/drafts_quality.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.services.cadence import contact_state
from bot.services.container import Services
from bot.services.sentences import split_sentences
from bot.services.text import words
from tests.scenarios import Ask, Folder, answer_json, judge, load_folders, served

FOLDERS = load_folders()
Run = list[tuple[Ask, dict[str, bool], dict[str, Any]]]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Services, Run]]:
    out: dict[str, tuple[Services, Run]] = {}
    for folder in FOLDERS:
        services = served(folder, tmp_path_factory.mktemp(folder.name))
        results: Run = []
        for ask in folder.asks:
            answer = answer_json(services, ask)
            results.append((ask, judge(answer, ask.expect), answer))
        out[folder.name] = (services, results)
    return out


def test_there_are_folders_of_other_trades() -> None:
    assert {f.name for f in FOLDERS} >= {"it-agency", "flower-shop", "physio-studio"}
    assert sum(len(f.asks) for f in FOLDERS) >= 150


def every(runs: dict[str, tuple[Services, Run]]) -> list[tuple[Folder, Services, Ask, dict[str, bool], dict[str, Any]]]:
    by_name = {f.name: f for f in FOLDERS}
    return [(by_name[n], svc, a, c, ans) for n, (svc, run) in runs.items() for a, c, ans in run]


def test_no_customer_question_is_blocked(runs: dict[str, tuple[Services, Run]]) -> None:
    blocked = [a.question for _, _, a, checks, _ in every(runs) if checks.get("blocked") is False]
    assert blocked == []


def test_the_customer_is_the_one_named(runs: dict[str, tuple[Services, Run]]) -> None:
    wrong = [a.question for _, _, a, checks, _ in every(runs) if checks.get("customer") is False]
    assert wrong == []


def test_expected_warnings_are_raised(runs: dict[str, tuple[Services, Run]]) -> None:
    missing = [a.question for _, _, a, checks, _ in every(runs) if checks.get("warnings") is False]
    assert missing == []


def test_staff_only_text_and_private_notes_never_reach_a_draft(runs: dict[str, tuple[Services, Run]]) -> None:
    for _, services, ask, _, answer in every(runs):
        snap = services.knowledge.snapshot()
        staff = [s for doc in snap.kb.playbook for _, s in split_sentences(doc.staff_text) if len(s) > 25]
        text = " ".join(d["text"] for d in answer["drafts"])
        assert not [s for s in staff if s in text], ask.question
        if answer["customer"]:
            private = words(snap.kb.customers[answer["customer"]["id"]].private_text)
            drafted = " ".join(words(text))
            shingles = {" ".join(private[i : i + 5]) for i in range(len(private) - 4)}
            assert not [s for s in shingles if s in drafted], ask.question


def test_outreach_only_where_consent_and_cadence_allow(runs: dict[str, tuple[Services, Run]]) -> None:
    for folder, services, ask, _, answer in every(runs):
        if answer["intent"] != "outreach" or not answer["drafts"]:
            continue
        customer = services.knowledge.snapshot().kb.customers[answer["customer"]["id"]]
        state = contact_state(customer, folder.today)
        assert state.accepts_outreach and not state.too_soon, ask.question


def test_no_draft_names_another_customer(runs: dict[str, tuple[Services, Run]]) -> None:
    for _, services, ask, _, answer in every(runs):
        if not answer["customer"]:
            continue
        customers = services.knowledge.snapshot().kb.customers
        others = [c.name for cid, c in customers.items() if cid != answer["customer"]["id"]]
        for draft in answer["drafts"]:
            assert not [n for n in others if re.search(rf"\b{re.escape(n)}\b", draft["text"])], ask.question


def share(values: list[bool]) -> float:
    return sum(values) / len(values)


# The folders written before the code, and the held-out ones (tests/folders/README.md): their quality
# is held to separate floors, each under its own measured figures, so neither hides the other.
HELD_OUT = {"vet-clinic", "language-school"}
FLOORS = {False: (0.45, 0.9, 0.85), True: (0.3, 0.85, 0.8)}  # facts in draft, intent right, staff text kept out


@pytest.mark.parametrize("held_out", [False, True], ids=["written-first", "held-out"])
def test_quality_floor(runs: dict[str, tuple[Services, Run]], held_out: bool) -> None:
    """A floor under today's figures (bench/drafts_quality.py prints them): a change that makes drafts
    state fewer answering facts, or read fewer requests right, fails here."""
    checks = [c for folder, _, _, c, _ in every(runs) if (folder.name in HELD_OUT) == held_out]
    assert checks
    facts = [c["draft_has"] for c in checks if "draft_has" in c]
    intent = [c["intent"] and c.get("purpose", True) for c in checks if "intent" in c]
    lacks = [c["draft_lacks"] for c in checks if "draft_lacks" in c]
    least_facts, least_intent, least_lacks = FLOORS[held_out]
    assert share(facts) >= least_facts, share(facts)
    assert share(intent) >= least_intent, share(intent)
    assert share(lacks) >= least_lacks, share(lacks)


def test_the_cli_gives_the_same_answer(tmp_path: Path) -> None:
    """One request per folder through `rapport ask --json` itself, as a user runs it."""
    import json
    import os
    import subprocess
    import sys

    for folder in FOLDERS:
        ask = next(a for a in folder.asks if a.expect.get("intent") == "reply" and a.expect.get("customer"))
        env = {**os.environ, "RAPPORT_TODAY": folder.today.isoformat()}
        args = ["--knowledge", str(folder.knowledge), "--index", str(tmp_path / folder.name), "ask", ask.question]
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", *args, *ask.flags, "--json"],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        answer = json.loads(done.stdout)
        assert answer["customer"]["id"] == ask.expect["customer"] and answer["drafts"], folder.name
