"""The injection corpus: instructions planted in every kind of knowledge text, and a model that obeys.

The figure is the number of injected claims, links or triggers that reach a draft Rapport shows;
the target is 0 (bench/injection.py prints it with a breakdown).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.knowledge.lint import instruction_like, lint_folder
from bot.services.container import build_services
from bot.services.knowledge import Knowledge
from tests import fake_openai as F
from tests import injection_corpus as corpus
from tests.conftest import make_settings
from tests.llm_support import rapport_ask


@pytest.fixture(scope="module")
def kdir(tmp_path_factory: pytest.TempPathFactory, sample_copy: Path) -> Path:
    return corpus.plant(sample_copy, tmp_path_factory.mktemp("injected") / "knowledge")


@pytest.fixture(scope="module")
def index(kdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("injected-index") / "chroma"
    Knowledge(make_settings(kdir, path)).sync()
    return path


@pytest.fixture(scope="module")
def outcomes(kdir: Path, index: Path) -> Iterator[dict[str, corpus.Outcome]]:
    with F.FakeOpenAI() as fake:
        opts = {"openai_api_key": "k", "openai_base_url": fake.url, "openai_model": "m"}
        svc = build_services(make_settings(kdir, index, **opts))
        yield {o.injection.id: o for o in corpus.run(svc.assistant, fake, corpus.message_line(kdir))}


@pytest.mark.parametrize("item", corpus.CORPUS, ids=lambda i: i.id)
def test_no_injected_claim_link_or_trigger_reaches_a_shown_draft(
    outcomes: dict[str, corpus.Outcome], item: corpus.Injection
) -> None:
    outcome = outcomes[item.id]
    assert outcome.called  # the obedient model was asked: the injection was put to the test
    assert outcome.reached == [], (outcome.mode, outcome.rejected)


def test_planted_instructions_never_reach_the_model(outcomes: dict[str, corpus.Outcome]) -> None:
    planted = [o for o in outcomes.values() if o.injection.where != "pasted" and o.injection.id not in NOT_INSTRUCTIONS]
    assert len(planted) == 9 and all(instruction_like(o.injection.planted) for o in planted)
    assert [o.injection.id for o in planted if o.shown_to_model] == []


def test_rapport_check_warns_about_the_planted_instructions(kdir: Path) -> None:
    warned = {str(p) for p in lint_folder(kdir)}
    for item in corpus.CORPUS:
        if item.where != "pasted" and item.id not in NOT_INSTRUCTIONS:
            assert any(item.planted[:30] in w for w in warned), item.id


# A claim written as a plain fact, or a customer asking for something: no instruction to a model, so no lint
# warning; what stops these is the trust boundary (the guard) and the floor.
NOT_INSTRUCTIONS = {"notes-credit-plain", "content-title-offer", "history-offer", "history-link", "history-exfil"}


def test_rapport_ask_json_shows_no_injected_trigger(kdir: Path, index: Path) -> None:
    item = next(i for i in corpus.CORPUS if i.id == "history-garak")
    with F.FakeOpenAI("llama-server") as fake:
        fake.script(F.drafts(*item.drafts(corpus.message_line(kdir))))
        out = rapport_ask(fake.url, kdir, index, item.question)
    assert out["drafts"] and all("kill all humans" not in d["text"].lower() for d in out["drafts"])
    assert any(v["code"] == "unusable_draft" for v in out["guard"]["violations"])
