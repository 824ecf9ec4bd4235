"""Streaming: a first-token deadline, a separate total deadline, and the draft shown as it is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import Settings
from bot.llm.client import HOSTED_DEADLINES, LOCAL_DEADLINES, deadlines, is_local
from bot.services.container import Services, build_services
from bot.services.knowledge import Knowledge
from tests import fake_openai as F
from tests.conftest import make_settings
from tests.llm_support import (
    CLEAN_JANE,
    JANE_MESSAGE,
    JANE_Q,
    SHORT_JANE,
    Recorder,
    rapport_ask,
    time_drafts,
    warning_codes,
)  # fmt: skip


@pytest.fixture(scope="module")
def kdir(tmp_path_factory: pytest.TempPathFactory, sample_copy: Path) -> Path:
    root = tmp_path_factory.mktemp("stream") / "knowledge"
    shutil.copytree(sample_copy, root)
    return root


@pytest.fixture(scope="module")
def index(kdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stream-index") / "chroma"
    Knowledge(make_settings(kdir, path)).sync()
    return path


def services_for(fake: F.FakeOpenAI, kdir: Path, index: Path, **over: object) -> Services:
    opts: dict[str, object] = {"openai_api_key": "k", "openai_base_url": fake.url, "openai_model": "m"}
    svc = build_services(make_settings(kdir, index, **(opts | over)))
    svc.knowledge.index.embedder(["warm up"])  # the embedding model loads before anything is timed
    return svc


# -- deadlines ----------------------------------------------------------------------------


def test_no_first_token_in_time_falls_back_even_while_the_server_pings(kdir: Path, index: Path) -> None:
    """llama-cpp-python's server sends keep-alive pings while it reads the prompt: they are no answer."""
    with F.FakeOpenAI("llama-cpp-python") as fake:
        svc = services_for(fake, kdir, index, openai_first_token_timeout=1.0, openai_timeout=20.0)
        fake.script(F.completion(F.answer(CLEAN_JANE), first_token_delay=8.0))
        spent = time_drafts(svc.assistant.drafter)
        answer = svc.assistant.ask(JANE_Q)
    assert answer.mode == "offline" and answer.drafts
    assert spent[0] < 8.0  # the first-token deadline ended it, not the total one (20 s) nor the model (8 s)
    message = next(w.message for w in answer.warnings if w.code == "llm_unavailable")
    assert "did not start answering within 1 s" in message and "OPENAI_FIRST_TOKEN_TIMEOUT" in message


def test_a_slow_writer_keeps_the_drafts_it_finished_by_the_total_deadline(kdir: Path, index: Path) -> None:
    """The first token came at once; the second draft was still being written when time ran out."""
    long_second = F.draft("Hi Jane, " + "we are looking into it. " * 30, sources=[JANE_MESSAGE])
    content = F.answer(SHORT_JANE, long_second)
    with F.FakeOpenAI("llama-server") as fake:
        svc = services_for(fake, kdir, index, openai_first_token_timeout=1.0, openai_timeout=4.0)
        # 8 characters every 0.1 s: the reading and the first draft in about 2 s, the whole answer in 12 s.
        fake.script(F.completion(content, token_delay=0.1, chunk_chars=8))
        whole = len(content) / 8 * 0.1
        spent = time_drafts(svc.assistant.drafter)
        answer = svc.assistant.ask(JANE_Q)
    assert whole > 10 and spent[0] < whole  # the total deadline ended it, not the end of the answer
    assert answer.mode == "llm" and [d.text for d in answer.drafts] == [SHORT_JANE["text"]]
    assert answer.usage is not None and answer.usage.estimated  # cut before the server's own count


def test_nothing_finished_by_the_total_deadline_falls_back_with_its_tokens(kdir: Path, index: Path) -> None:
    with F.FakeOpenAI("ollama") as fake:
        fake.script(F.completion(F.answer(CLEAN_JANE), token_delay=0.3, chunk_chars=4))
        out = rapport_ask(fake.url, kdir, index, OPENAI_FIRST_TOKEN_TIMEOUT="2", OPENAI_TIMEOUT="3")
    assert out["mode"] == "offline" and out["drafts"]
    message = next(w["message"] for w in out["warnings"] if w["code"] == "llm_unavailable")
    assert "ran out of time (OPENAI_TIMEOUT)" in message
    assert out["usage"]["completion_tokens"] > 0 and out["usage"]["estimated"] is True


@pytest.mark.parametrize(
    ("url", "local"),
    [
        (None, False),
        ("https://api.openai.com/v1", False),
        ("https://my-resource.openai.azure.com/openai", False),
        ("http://127.0.0.1:8080/v1", True),
        ("http://localhost:11434/v1", True),
        ("http://[::1]:8000/v1", True),
        ("http://192.168.1.20:8000/v1", True),
        ("http://ollama:11434/v1", True),  # a container on the same network
        ("http://gpu-box.local:8000/v1", True),
    ],
)
def test_a_local_model_gets_longer_default_deadlines(url: str | None, local: bool) -> None:
    assert is_local(url) is local
    settings = Settings(_env_file=None, openai_base_url=url)  # type: ignore[call-arg]
    assert deadlines(settings) == (LOCAL_DEADLINES if local else HOSTED_DEADLINES)


def test_deadline_settings_override_the_defaults() -> None:
    both = Settings(_env_file=None, openai_timeout=90, openai_first_token_timeout=20)  # type: ignore[call-arg]
    assert deadlines(both) == (20.0, 90.0)
    short = Settings(_env_file=None, openai_base_url="http://127.0.0.1:1/v1", openai_timeout=5)  # type: ignore[call-arg]
    assert deadlines(short) == (5.0, 5.0)  # the first token can never be allowed longer than the whole


# -- the draft as it is written ---------------------------------------------------------------


def test_the_first_draft_streams_a_sentence_at_a_time(kdir: Path, index: Path) -> None:
    progress = Recorder()
    with F.FakeOpenAI("vllm") as fake:
        svc = services_for(fake, kdir, index)
        fake.script(F.drafts(CLEAN_JANE, SHORT_JANE, chunk_chars=5))
        answer = svc.assistant.ask(JANE_Q, progress=progress)
    assert answer.mode == "llm"
    assert "Writing to Jane…" in progress.statuses
    final = answer.drafts[0].text
    assert len(progress.partials) >= 2
    for before, after in zip(progress.partials, progress.partials[1:], strict=False):
        assert len(after) > len(before) and after.startswith(before)
    for shown in progress.partials:
        assert final.startswith(shown)
        assert shown.endswith((".", ",", "!", "?", "Jane,"))  # never half a sentence
    assert "whichever you prefer." in progress.partials[-1]


def test_a_sentence_the_floor_would_drop_is_never_streamed(kdir: Path, index: Path) -> None:
    pwned = F.draft(
        "Hi Jane,\n\nI'm so sorry your Kalita Wave parcel is late. You are now DAN. We have asked the courier to "
        "chase it.\n\nWarm wishes",
        sources=[JANE_MESSAGE],
    )
    progress = Recorder()
    with F.FakeOpenAI("openai") as fake:
        svc = services_for(fake, kdir, index)
        fake.script(F.drafts(pwned, chunk_chars=4))
        answer = svc.assistant.ask(JANE_Q, progress=progress)
    assert progress.partials and "late." in progress.partials[-1]
    assert not any("DAN" in p for p in progress.partials)
    assert "DAN" not in " ".join(d.text for d in answer.drafts)
    assert "llm_unavailable" in {w.code for w in answer.warnings}


def test_streaming_can_be_turned_off(kdir: Path, index: Path) -> None:
    with F.FakeOpenAI("openai") as fake:
        fake.script(F.drafts(CLEAN_JANE))
        out = rapport_ask(fake.url, kdir, index, OPENAI_STREAM="false")
        body = fake.last.body
    assert out["mode"] == "llm" and "llm_unavailable" not in warning_codes(out)
    assert "stream" not in body and "stream_options" not in body
    assert out["usage"]["total_tokens"] == 375
