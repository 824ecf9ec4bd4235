"""Structured output on every kind of OpenAI-compatible server, a bounded schema, and the breaker.

Each fake server family refuses requests the way its real counterpart's source does
(tests/fake_openai_families.py); drafts are asked for through `rapport ask --json` and, where a
test needs several calls in one process, through the Assistant with the real `openai` client.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.answer import Answer
from bot.llm import schema
from bot.llm.drafter import LLMDrafter
from bot.services.ask import Assistant
from bot.services.container import Services, build_services
from bot.services.knowledge import Knowledge
from tests import fake_openai as F
from tests import fake_openai_families as families
from tests.conftest import make_settings
from tests.llm_support import CLEAN_JANE, JANE_Q, SHORT_JANE, codes, mode_of, rapport_ask, warning_codes

EMAIL_CAP = schema.token_cap(schema.text_limit("email"), 2)
EMAIL_SCHEMA = schema.json_schema(schema.text_limit("email"), 2)


@pytest.fixture(scope="module")
def kdir(tmp_path_factory: pytest.TempPathFactory, sample_copy: Path) -> Path:
    root = tmp_path_factory.mktemp("servers") / "knowledge"
    shutil.copytree(sample_copy, root)
    return root


@pytest.fixture(scope="module")
def index(kdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("servers-index") / "chroma"
    Knowledge(make_settings(kdir, path)).sync()
    return path


def services_for(fake: F.FakeOpenAI, kdir: Path, index: Path, **over: object) -> Services:
    opts: dict[str, object] = {"openai_api_key": "k", "openai_base_url": fake.url, "openai_model": "test-model"}
    return build_services(make_settings(kdir, index, **(opts | over)))


# -- every family, through the command line -----------------------------------------------

EXPECTED_MODES = {
    "openai": ["json_schema"],
    "llama-cpp-python": ["json_schema", "json_object"],  # json_schema is a 500 there; json_object takes a schema
    "llama-server": ["json_schema"],
    "ollama": ["json_schema"],
    "vllm": ["json_schema"],
    "plain": ["json_schema", "json_object", "text"],
}


@pytest.mark.parametrize("family", EXPECTED_MODES)
def test_rapport_ask_json_drafts_on_every_server_family(family: str, kdir: Path, index: Path) -> None:
    content = F.answer(CLEAN_JANE, SHORT_JANE)
    if family == "plain":  # no structured output at all: the model wraps its JSON in prose and a fence
        content = f"Here are the drafts you asked for:\n```json\n{content}\n```\nLet me know if you need more."
    with F.FakeOpenAI(family) as fake:
        fake.script(F.completion(content, prompt_tokens=None, completion_tokens=None))
        out = rapport_ask(fake.url, kdir, index)
        requests = fake.requests
    assert out["mode"] == "llm", out["warnings"]
    assert [mode_of(r.body) for r in requests] == EXPECTED_MODES[family]
    assert [r.refused is not None for r in requests] == [True] * (len(requests) - 1) + [False]
    accepted = requests[-1]
    assert accepted.body["stream"] is True
    # The cap is sent under the name every family honours, and it is the one the schema's bounds need.
    assert families.token_cap(family, accepted.body) == EMAIL_CAP
    if family == "plain":
        assert accepted.enforced_schema is None
        assert '"drafts"' in accepted.content("user")  # the shape is in the prompt for servers without a schema
    else:
        assert accepted.enforced_schema == EMAIL_SCHEMA  # the bounded schema reached the server's grammar
    assert [d["channel"] for d in out["drafts"]] == ["email", "email"]
    usage = out["usage"]
    assert usage["total_tokens"] > 0 and usage["completion_tokens"] > 0
    assert usage["estimated"] is (family == "llama-cpp-python")  # the one family that streams no usage


def test_the_format_a_server_takes_is_found_once_per_process(
    kdir: Path, index: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with F.FakeOpenAI("llama-cpp-python") as fake, caplog.at_level(logging.INFO, logger="bot.llm"):
        svc = services_for(fake, kdir, index)
        fake.script(F.drafts(CLEAN_JANE), F.drafts(CLEAN_JANE))
        first, second = svc.assistant.ask(JANE_Q), svc.assistant.ask(JANE_Q)
        modes = [mode_of(r.body) for r in fake.requests]
    assert first.mode == second.mode == "llm"
    assert modes == ["json_schema", "json_object", "json_object"]  # the second answer asks the right way at once
    assert caplog.text.count("takes structured output as json_object") == 1
    assert "refused response_format json_schema" in caplog.text


def test_another_server_at_a_known_address_is_learnt_and_logged_again(
    kdir: Path, index: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # What a process learnt is kept per address; a server swapped in behind that address (here, a strict
    # one replaced by llama-cpp-python's) is learnt again, and the new finding is logged when it works.
    with F.FakeOpenAI("openai") as fake, caplog.at_level(logging.INFO, logger="bot.llm"):
        svc = services_for(fake, kdir, index)
        fake.script(F.drafts(CLEAN_JANE), F.drafts(CLEAN_JANE))
        first = svc.assistant.ask(JANE_Q)
        fake.family = "llama-cpp-python"
        second = svc.assistant.ask(JANE_Q)
        modes = [mode_of(r.body) for r in fake.requests]
    assert first.mode == second.mode == "llm"
    assert modes == ["json_schema", "json_schema", "json_object"]
    assert caplog.text.count("takes structured output as json_schema") == 1
    assert caplog.text.count("takes structured output as json_object") == 1


def test_a_reasoning_model_gets_max_completion_tokens(kdir: Path, index: Path) -> None:
    with F.FakeOpenAI("openai", reasoning=True) as fake:
        svc = services_for(fake, kdir, index)
        fake.script(F.drafts(CLEAN_JANE))
        answer = svc.assistant.ask(JANE_Q)
        bodies = [r.body for r in fake.requests]
    assert answer.mode == "llm"
    assert ["max_tokens" in b for b in bodies] == [True, False]
    assert bodies[-1]["max_completion_tokens"] == EMAIL_CAP


def test_an_unsupported_parameter_is_not_retried_and_names_the_setting(kdir: Path, index: Path) -> None:
    with F.FakeOpenAI("openai", reasoning=True) as fake:
        fake.script(F.drafts(CLEAN_JANE), F.drafts(CLEAN_JANE))
        out = rapport_ask(fake.url, kdir, index, OPENAI_TEMPERATURE="0.2", OPENAI_MAX_RETRIES="3")
        refused = [r.body.get("temperature") for r in fake.requests if r.refused]
        answered = fake.answered
    assert out["mode"] == "offline" and out["drafts"]
    message = next(w["message"] for w in out["warnings"] if w["code"] == "llm_unavailable")
    assert "'temperature'" in message and "unset OPENAI_TEMPERATURE" in message
    # max_tokens was refused and replaced once; the temperature refusal ended it: no retry.
    assert refused == [0.2, 0.2] and answered == []


def test_a_forced_format_the_server_refuses_names_the_setting(kdir: Path, index: Path) -> None:
    with F.FakeOpenAI("llama-cpp-python") as fake:
        svc = services_for(fake, kdir, index, openai_structured_output="json_schema")
        answer = svc.assistant.ask(JANE_Q)
        sent = len(fake.requests)
    assert answer.mode == "offline" and sent == 1
    message = next(w.message for w in answer.warnings if w.code == "llm_unavailable")
    assert "OPENAI_STRUCTURED_OUTPUT=auto" in message


# -- a bounded answer -----------------------------------------------------------------------


def test_the_schema_is_bounded_and_has_no_channel() -> None:
    drafts = EMAIL_SCHEMA["properties"]["drafts"]
    text = drafts["items"]["properties"]["text"]
    assert (drafts["minItems"], drafts["maxItems"]) == (1, 2)
    assert text["maxLength"] == schema.text_limit("email") and schema.text_limit("sms") < text["maxLength"]
    assert drafts["items"]["properties"]["sources"]["maxItems"] == schema.MAX_SOURCES
    assert "channel" not in json.dumps(EMAIL_SCHEMA)
    assert families.strict_schema_problem(EMAIL_SCHEMA) is None
    # The cap covers the longest answer the schema allows, at three characters a token.
    longest = 2 * (schema.text_limit("email") + schema.MAX_SOURCES * schema.MAX_SOURCE_CHARS)
    assert longest + schema.MAX_MESSAGE_CHARS < EMAIL_CAP * schema.CHARS_PER_TOKEN


LOOPING = '{"reading":{"intent":"reply","purpose":"none","customer_message":""},"drafts":[{"text":"Hi Jane, ' + (
    "so sorry, " * 3000
)


def test_an_over_long_answer_is_cut_reported_with_its_tokens_and_does_not_trip_the_breaker(
    kdir: Path, index: Path
) -> None:
    """A server with no grammar (plain JSON in the text): the model loops inside one string."""
    with F.FakeOpenAI("plain") as fake:
        svc = services_for(fake, kdir, index, openai_max_retries=0)
        fake.script(*[F.completion(LOOPING, prompt_tokens=None, completion_tokens=None) for _ in range(4)])
        answers = [svc.assistant.ask(JANE_Q) for _ in range(4)]
        answered = len(fake.answered)
    assert answered == 4  # three bad answers in a row did not open the breaker
    for answer in answers:
        assert answer.mode == "offline" and answer.drafts
        assert answer.usage is not None and answer.usage.completion_tokens > 0
        detail = next(v.detail for v in answer.guard.violations if v.code == "unusable_draft")
        assert "longer than the schema allows" in detail
        assert "not usable" in next(w.message for w in answer.warnings if w.code == "llm_unavailable")
    # Cut as soon as the answer could no longer be valid, not at the server's cap.
    assert answers[0].usage.completion_tokens < EMAIL_CAP


def test_a_draft_over_its_bound_is_dropped_and_the_others_kept(kdir: Path, index: Path) -> None:
    long = F.draft("Hi Jane, " + "sorry about the parcel. " * 80, sources=["customers/jane-okafor.md#L28"])
    extra = F.draft("Hi Jane, a third one nobody asked for.", sources=["customers/jane-okafor.md#L28"])
    with F.FakeOpenAI("plain") as fake:
        svc = services_for(fake, kdir, index)
        fake.script(F.completion(F.answer(long, SHORT_JANE, extra)))
        answer = svc.assistant.ask(JANE_Q)
    assert answer.mode == "llm" and [d.text for d in answer.drafts] == [SHORT_JANE["text"]]
    assert any("longer than 1000 characters" in v.detail for v in answer.guard.violations)


def test_the_channel_comes_from_the_plan_whatever_the_model_says(kdir: Path, index: Path) -> None:
    chose_sms = {**SHORT_JANE, "channel": "sms"}
    with F.FakeOpenAI("plain") as fake:
        svc = services_for(fake, kdir, index)
        fake.script(F.completion(F.answer(chose_sms)))
        answer: Answer = svc.assistant.ask("Email Jane Okafor about her late parcel")
    assert answer.mode == "llm" and [d.channel for d in answer.drafts] == ["email"]


def test_a_malformed_answer_reports_its_tokens_and_keeps_the_breaker_closed(kdir: Path, index: Path) -> None:
    with F.FakeOpenAI("openai") as fake:
        svc = services_for(fake, kdir, index)
        drafter = svc.assistant.drafter
        assert isinstance(drafter, LLMDrafter)
        fake.script(*[F.malformed() for _ in range(3)], F.drafts(CLEAN_JANE))
        bad = [svc.assistant.ask(JANE_Q) for _ in range(3)]
        good = svc.assistant.ask(JANE_Q)
    assert drafter.breaker.state == "closed"
    assert all(a.usage is not None and a.usage.total_tokens == 375 for a in bad)
    assert all("unusable_draft" in {v.code for v in a.guard.violations} for a in bad)
    assert good.mode == "llm"


def test_rapport_ask_json_shows_why_a_cut_answer_fell_back(kdir: Path, index: Path) -> None:
    with F.FakeOpenAI("ollama") as fake:
        fake.script(F.completion(LOOPING, prompt_tokens=None, completion_tokens=None))
        out = rapport_ask(fake.url, kdir, index)
    assert out["mode"] == "offline" and out["drafts"]
    assert "llm_unavailable" in warning_codes(out) and "unusable_draft" in codes(out)
    assert out["usage"]["completion_tokens"] > 0


@pytest.fixture
def openai_server() -> Iterator[F.FakeOpenAI]:
    with F.FakeOpenAI() as server:
        yield server


def test_make_drafter_shares_the_index_embedding_model(openai_server: F.FakeOpenAI, kdir: Path, index: Path) -> None:
    svc = services_for(openai_server, kdir, index)
    drafter = svc.assistant.drafter
    assert isinstance(drafter, LLMDrafter) and isinstance(svc.assistant, Assistant)
    model = svc.knowledge.index.embedder
    before = model.texts_embedded
    drafter.floor._embed(["Your parcel left the depot this morning."])
    assert model.texts_embedded == before + 1  # the floor measured with the index's own model
