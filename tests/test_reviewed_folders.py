"""Folders a reviewer wrote from DESIGN.md alone, with the requests where the drafts failed them.

tests/reviewed/*/scenarios.yaml has the same format as tests/folders/ (tests/folders/README.md), but
the folders are small (a marina, a hydraulic-parts supplier) and every expectation is a rule here:
each was a defect a staff member would notice (an undeclared discount drafted, the wrong perk
offered, one of two customers with the same first name picked silently, a check-in turned into a
reply to a remark from last year, a late reply that thanks them for getting in touch).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.services.container import build_services
from tests.scenarios import Ask, answer_json, judge, load_folders, served

FOLDERS = load_folders(Path(__file__).parent / "reviewed")
ASKS = [(folder, ask) for folder in FOLDERS for ask in folder.asks]


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for folder in FOLDERS:
        services = served(folder, tmp_path_factory.mktemp(folder.name))
        for ask in folder.asks:
            out[folder.name, ask.question] = answer_json(services, ask)
    return out


def test_there_are_reviewed_folders() -> None:
    assert {f.name for f in FOLDERS} >= {"marina", "parts-supplier"}
    assert len(ASKS) >= 15


@pytest.mark.parametrize(("folder", "ask"), ASKS, ids=[f"{a.scenario}:{i}" for i, (_, a) in enumerate(ASKS)])
def test_every_expectation_holds(answers: dict[tuple[str, str], dict[str, Any]], folder: Any, ask: Ask) -> None:
    answer = answers[folder.name, ask.question]
    checks = judge(answer, ask.expect)
    failed = [name for name, ok in checks.items() if not ok]
    assert not failed, (failed, answer["intent"], answer.get("purpose"), [d["text"] for d in answer["drafts"]])


def test_an_undeclared_offer_is_named_for_staff_through_the_cli(tmp_path: Path) -> None:
    """`rapport ask --json` as a user runs it: the request to offer 10% off gets no draft, a note naming
    what nothing backs and the perks that are declared, and the staff-only rule on discounts."""
    import json
    import os
    import subprocess
    import sys

    folder = next(f for f in FOLDERS if f.name == "parts-supplier")
    env = {**os.environ, "RAPPORT_TODAY": folder.today.isoformat()}
    question = "Can I offer Des Oyelaran a 10% discount on his next reseal?"
    args = ["--knowledge", str(folder.knowledge), "--index", str(tmp_path / "index"), "ask", question, "--json"]
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout)
    assert answer["customer"]["id"] == "hx-101" and answer["purpose"] == "perk" and answer["drafts"] == []
    note = next(n for n in answer["notes"] if n.startswith("Nothing customer-facing"))
    assert "'10%'" in note and "pressure test" in note and "hose audit" in note
    assert any("Anita" in f["text"] and f["staff_only"] for f in answer["facts"])


def test_a_fact_question_the_folder_does_not_answer_says_so(answers: dict[tuple[str, str], dict[str, Any]]) -> None:
    missing = answers["marina", "Do we have a pump-out station for holding tanks?"]
    assert missing["reading"]["sure"] is False and "nothing in the playbook answers it" in missing["reading"]["why"]
    assert any(n.startswith("Nothing in the knowledge folder answers this") for n in missing["notes"])
    answered = answers["marina", "What do we charge berth holders per unit for shore power?"]
    assert answered["reading"]["sure"] is True and not any(n.startswith("Nothing in") for n in answered["notes"])


def test_an_avoided_phrase_does_not_block_what_the_customer_is_interested_in() -> None:
    """Anwen avoids "selling the boat" and is interested in wooden boats: a piece on a classic boat
    weekend brings up boats, not selling one; a piece on selling a boat is still kept from her."""
    from bot.knowledge.models import ContentItem, Customer
    from bot.services.content import blocked_reason

    anwen = Customer.model_validate(
        {
            "id": "sm-06",
            "name": "Anwen Rees",
            "segment": "b2c",
            "interests": ["wooden boats", "traditional rigging"],
            "avoid": ["selling the boat"],
        }
    )
    weekend = ContentItem.model_validate(
        {
            "path": "content/w.md",
            "title": "Classic Boat Weekend",
            "topics": ["wooden boats"],
            "summary": "Old boats afloat.",
        }
    )
    selling = ContentItem.model_validate(
        {
            "path": "content/s.md",
            "title": "Selling your boat through our brokerage",
            "topics": ["brokerage"],
            "summary": "x",
        }
    )
    assert blocked_reason(weekend, anwen) is None
    assert blocked_reason(selling, anwen) == "touches 'selling the boat', which the customer asked to avoid"


def test_of_two_customers_who_match_equally_the_one_addressed_is_the_customer(tmp_path: Path) -> None:
    """Gareth and Hamid match the request equally well (each by his first name, the same history): the
    request addresses Gareth ("reply to Gareth") and mentions Hamid, so it is about Gareth."""
    import datetime as dt

    line = "- 2026-11-20 email in: Asked whether Making Tax Digital applies to his rental income.\n"
    for cid, name in (("ll-1", "Gareth Pryce"), ("ll-2", "Hamid Karimi")):
        path = tmp_path / "knowledge" / "customers" / f"{cid}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\nid: {cid}\nname: {name}\nsegment: b2c\n---\n## History\n{line}", encoding="utf-8")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        knowledge_dir=tmp_path / "knowledge",
        chroma_path=tmp_path / "index",
        rapport_today=dt.date(2026, 11, 27),
    )
    services = build_services(settings)
    services.knowledge.sync()
    both = services.knowledge.snapshot().finder.find("Gareth and Hamid")
    assert [m.tie for m in both[:2]] == [True, True]  # equally good matches by name
    answer = services.assistant.ask("Reply to Gareth about MTD - Hamid had the same question last month")
    assert answer.customer is not None and answer.customer.id == "ll-1"
    assert services.assistant.ask("Gareth or Hamid asked about MTD, what do I say?").customer is None
