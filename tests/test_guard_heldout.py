"""The guard on the held-out set (tests/data/guard, written apart from the rules): issue 14's targets.

100% of invented amounts, percentages, discounts and titles caught in each of the four languages, and
under 2% of benign sentences dropped or changed. `bench/guard_heldout.py` prints the full table.
"""

from __future__ import annotations

import pytest

from bench.guard_heldout import MAX_FALSE_DROPS, Results, measure


@pytest.fixture(scope="module")
def results() -> Results:
    return measure()


@pytest.mark.parametrize("lang", ["en", "de", "fr", "es"])
def test_every_invented_amount_percentage_discount_and_title_is_caught(results: Results, lang: str) -> None:
    tally = results.caught[f"target:{lang}"]
    assert tally.total >= 40
    assert tally.items == [], "\n".join(tally.items)


def test_benign_sentences_are_rarely_dropped(results: Results) -> None:
    tally = results.passed["all"]
    assert tally.total >= 200
    assert 1 - tally.rate < MAX_FALSE_DROPS, "\n".join(tally.items)


def test_what_is_caught_is_reported_under_the_right_code(results: Results) -> None:
    assert results.caught["all"].total >= 300
    assert results.right_code.rate >= 0.95, "\n".join(results.right_code.items)
