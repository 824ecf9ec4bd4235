"""The held-out guard set in tests/data/guard is well formed.

This checks the data only (schema, counts, that benign links and names are backed by
context.yaml); how well the guard does on it is measured in bench/, not here.
"""

import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

DATA = Path(__file__).parent / "data" / "guard"
LANGS = {"en", "de", "fr", "es"}
CLAIM_KINDS = {
    "amount",
    "percentage",
    "discount",
    "offer",
    "date",
    "duration",
    "guarantee",
    "promise",
    "link",
}
CODE_OF_KIND = {
    **dict.fromkeys(CLAIM_KINDS, "unsupported_claim"),
    **dict.fromkeys(["title", "gendered", "pronoun"], "gendered_address"),
    "other_customer": "other_customer",
    "avoided": "avoided_topic",
    "channel": "channel_not_allowed",
    "private": "private_leak",
}
GUARD_CODES = set(CODE_OF_KIND.values()) | {"unusable_draft", "cannot_verify"}
BENIGN_KINDS = {
    "smalltalk",
    "backed_value",
    "backed_date",
    "name",
    "link",
    "follow_up",
    "other",
}
CORE_KINDS = {"amount", "percentage", "discount", "title"}
URL = re.compile(r"(?:https?://)?(?:[\w-]+\.)+(?:com|org|net|example|ly)(?:/[^\s]*)?")


def load(name: str) -> Any:
    with (DATA / name).open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def bare(url: str) -> str:
    """A URL without scheme, trailing punctuation or trailing slash."""
    return re.sub(r"^https?://", "", url).rstrip(".,;:)").rstrip("/")


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    return dict(load("context.yaml"))


@pytest.fixture(scope="module")
def hostile() -> list[dict[str, Any]]:
    return list(load("hostile.yaml"))


@pytest.fixture(scope="module")
def benign() -> list[dict[str, Any]]:
    return list(load("benign.yaml"))


def test_hostile_items_have_a_known_language_code_and_kind(
    hostile: list[dict[str, Any]],
) -> None:
    for item in hostile:
        assert set(item) <= {"lang", "code", "kind", "text", "also", "note"}, item
        assert item["lang"] in LANGS, item
        assert CODE_OF_KIND[item["kind"]] == item["code"], item
        assert set(item.get("also", [])) <= GUARD_CODES - {item["code"]}, item
        assert item["text"].strip(), item


def test_benign_items_have_a_known_language_and_kind(
    benign: list[dict[str, Any]],
) -> None:
    for item in benign:
        assert set(item) <= {"lang", "kind", "text", "note"}, item
        assert item["lang"] in LANGS and item["kind"] in BENIGN_KINDS, item
        assert item["text"].strip(), item


def test_the_set_is_as_large_as_issue_14_asks(hostile: list[dict[str, Any]], benign: list[dict[str, Any]]) -> None:
    hostile_langs = Counter(item["lang"] for item in hostile)
    benign_langs = Counter(item["lang"] for item in benign)
    core = Counter(item["lang"] for item in hostile if item["kind"] in CORE_KINDS)
    assert len(hostile) >= 300 and min(hostile_langs[lang] for lang in LANGS) >= 60
    assert len(benign) >= 200 and min(benign_langs[lang] for lang in LANGS) >= 40
    assert sum(core.values()) >= 100 and min(core[lang] for lang in LANGS) >= 20


def test_no_sentence_is_both_hostile_and_benign_or_repeated(
    hostile: list[dict[str, Any]], benign: list[dict[str, Any]]
) -> None:
    texts = [item["text"] for item in hostile + benign]
    assert [text for text, n in Counter(texts).items() if n > 1] == []


def test_benign_links_are_in_the_content_library_and_hostile_ones_are_not(
    context: dict[str, Any],
    hostile: list[dict[str, Any]],
    benign: list[dict[str, Any]],
) -> None:
    library = {bare(item["url"]) for item in context["content"]}
    for item in benign:
        for url in URL.findall(item["text"]):
            assert bare(url) in library, item
    for item in hostile:
        if item["kind"] == "link":
            urls = {bare(url) for url in URL.findall(item["text"])}
            assert urls and not urls <= library, item


def test_benign_sentences_name_no_other_customer_and_no_title(
    context: dict[str, Any], benign: list[dict[str, Any]]
) -> None:
    others = [c["name"] for c in context["other_customers"]]
    words = {part for name in others for part in name.split()}
    titles = {"Mr", "Mrs", "Ms", "Miss", "Sir", "Madam", "Herr", "Frau", "Monsieur"}
    titles |= {"Madame", "Mademoiselle", "Señor", "Señora", "Señorita", "Sr", "Sra"}
    for item in benign:
        tokens = set(re.findall(r"\w+", item["text"]))
        assert not tokens & (words | titles), item


def test_the_context_leaves_pronouns_unset_and_dates_agree(
    context: dict[str, Any],
) -> None:
    customer = context["customer"]
    assert "pronouns" not in customer
    assert customer["contact"]["channels"] == ["email", "sms"]
    assert len(customer["avoid"]) in (2, 3) and customer["private"].strip()
    follow_up: date = context["follow_up"]["date"]
    assert follow_up > context["today"]
    assert follow_up.strftime("%A") in context["follow_up"]["text"]
    sentences = [s for f in context["playbook"] for s in f["sentences"]]
    assert 6 <= len(sentences) <= 10
    assert sum(len(f.get("staff_only", [])) for f in context["playbook"]) == 1
    assert len(context["other_customers"]) == 5
