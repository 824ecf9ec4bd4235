"""Lookup quality on the sample folder: names, typos, preferred names, companies, descriptions, ties."""

from __future__ import annotations

import json

import pytest

from bot.services.container import Services
from tests.test_cli import rapport

CASES = [
    ("jane.okafor@example.com", "cus-0002"),
    ("cus-0011", "cus-0011"),
    ("Margaret Hughes", "cus-0001"),
    ("Peggy", "cus-0001"),
    ("Margret Hugehs", "cus-0001"),  # two typos
    ("Sofia Rosi", "cus-0011"),
    ("Bob", "cus-0006"),
    ("Seun", "cus-0016"),
    ("Liz Turner", "cus-0013"),
    ("Grindhouse Cafe", "cus-0003"),
    ("Shah Hospitality", "cus-0007"),
    ("Daybreak Bakry", "cus-0009"),
    ("the cafe owner in Leeds who complained about grind size", "cus-0003"),
    ("the architects' office in London with the coffee subscription", "cus-0012"),
    ("the bakery in Bristol", "cus-0009"),
    ("the restaurant group in Birmingham", "cus-0007"),
]


@pytest.mark.parametrize(("query", "expected"), CASES)
def test_best_match(sample_services: Services, query: str, expected: str) -> None:
    matches = sample_services.knowledge.snapshot().finder.find(query)
    assert matches, f"nothing found for {query!r}"
    assert matches[0].customer.id == expected, [(m.customer.id, m.score) for m in matches[:3]]
    assert not matches[0].tie or expected in {m.customer.id for m in matches if m.tie}


@pytest.mark.parametrize(("query", "ids"), [("Jane", {"cus-0002", "cus-0004"}), ("Tom", {"cus-0003", "cus-0018"})])
def test_shared_first_names_are_reported_as_ties(sample_services: Services, query: str, ids: set[str]) -> None:
    matches = sample_services.knowledge.snapshot().finder.find(query)
    assert {m.customer.id for m in matches if m.tie} == ids


def test_scores_are_best_first(sample_services: Services) -> None:
    matches = sample_services.knowledge.snapshot().finder.find("coffee for a cafe")
    scores = [m.score for m in matches]
    assert scores == sorted(scores, reverse=True)


def test_nobody_matches_a_stranger(sample_services: Services) -> None:
    assert sample_services.knowledge.snapshot().finder.find("Zebedee Quartermaine") == []


def test_lookup_json_through_the_cli(sample_copy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = rapport("lookup", "Margret Hugehs", "--json", "--knowledge", str(sample_copy), "--index", str(tmp_path))
    assert out.returncode == 0, out.stderr
    matches = json.loads(out.stdout)["matches"]
    assert matches[0]["id"] == "cus-0001" and matches[0]["name"] == "Margaret Hughes"
    assert 0 < matches[0]["score"] <= 1
