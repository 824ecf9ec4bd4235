"""`rapport ask` answered by the running bot (bot/services/ask_door.py), through the real command line.

A real `rapport serve --http` (one answer process) on a copy of the sample folder; `rapport ask` runs
as a user runs it, in a process of its own, with or without `--here`, and what it prints is compared.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.index.embedding import MiniLMEmbedding
from bot.services import ask_door
from bot.services.ask_door import AskRequest, ask_running_bot, fingerprint
from tests.serve_kit import Served, sample_bot

ANSWERED_BY_BOT = "answered by the running bot"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding) -> Iterator[Served]:
    with sample_bot(tmp_path_factory, embedder, "askdoor", RAPPORT_ANSWER_PROCESSES="1") as bot:
        bot.wait_healthy()
        door = Path(bot.env["CHROMA_PATH"]) / ask_door.SOCKET_NAME
        deadline = time.monotonic() + 120
        while not door.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert door.exists(), bot.log()[-3000:]
        yield bot
    assert "Traceback" not in bot.log(), bot.log()[-3000:]


def cli_env(bot: Served, **extra: str) -> dict[str, str]:
    """What a person's shell would have: the folder, the index and the date, and no Slack tokens."""
    env = {k: v for k, v in bot.env.items() if not k.startswith("SLACK_")}
    return {**env, "LOG_LEVEL": "INFO", **extra}


def rapport(bot: Served, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=cli_env(bot, **extra),
        cwd=bot.log_path.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("ask", "How should I answer Grace Park about her order?", "--json"), 0),
        (("ask", "How should I answer Grace Park about her order?"), 0),
        (("ask", "Should I check in with Chen Wei this week?", "--outreach"), 0),
        (("ask", "What should I tell Nobody Atall about the delivery?", "--json"), 1),
    ],
)
def test_rapport_ask_is_answered_by_the_running_bot_as_it_would_answer_itself(
    served: Served, args: tuple[str, ...], code: int
) -> None:
    by_bot = rapport(served, *args)
    here = rapport(served, *args, "--here")
    assert ANSWERED_BY_BOT in by_bot.stderr, by_bot.stderr[-2000:]
    assert ANSWERED_BY_BOT not in here.stderr
    assert by_bot.stdout == here.stdout
    assert (by_bot.returncode, here.returncode) == (code, code), by_bot.stderr[-2000:]
    assert by_bot.stdout.strip(), "an answer was printed"


def test_a_bot_with_other_model_settings_is_not_asked(served: Served) -> None:
    done = rapport(
        served, "ask", "How should I answer Grace Park about her order?", "--json", OPENAI_MODEL="other-model"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert ANSWERED_BY_BOT not in done.stderr
    assert "another folder, index, model setting or version" in done.stderr
    assert '"customer"' in done.stdout


def test_only_the_bots_user_can_open_its_door(served: Served) -> None:
    door = Path(served.env["CHROMA_PATH"]) / ask_door.SOCKET_NAME
    mode = door.stat().st_mode
    assert stat.S_ISSOCK(mode)
    assert stat.S_IMODE(mode) == 0o600
    assert not [p for p in door.parent.iterdir() if p.name.startswith(".ask-")], "the private folder is gone"


def test_a_socket_left_by_a_killed_bot_is_passed_over(tmp_path: Path) -> None:
    index = tmp_path / "index"
    index.mkdir()
    left = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    left.bind(str(index / ask_door.SOCKET_NAME))
    left.close()  # the file stays; nobody listens
    settings = load_settings(knowledge_dir=tmp_path / "knowledge", chroma_path=index)
    request = AskRequest(fingerprint=fingerprint(settings), question="How should I answer Grace Park?")
    started = time.monotonic()
    assert ask_running_bot(settings, request) is None
    assert time.monotonic() - started < ask_door.CONNECT_TIMEOUT + 0.5


def test_the_door_refuses_other_fingerprints_and_oversized_requests(tmp_path: Path) -> None:
    settings = load_settings(knowledge_dir=tmp_path / "knowledge", chroma_path=tmp_path / "index")
    asked: list[AskRequest] = []

    class Nobody:  # no request here reaches the services
        def __getattr__(self, name: str) -> object:
            asked.append(AskRequest(fingerprint="", question=name))
            raise AssertionError(f"the services were used ({name})")

    with ask_door.listening(Nobody(), settings) as path:  # type: ignore[arg-type]
        assert path is not None
        other = AskRequest(fingerprint="0" * 64, question="How should I answer Grace Park?")
        assert ask_running_bot(settings, other) is None
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(str(path))
            conn.sendall(b"x" * (ask_door.MAX_MESSAGE + 10) + b"\n")
            reply = ask_door.AskReply.model_validate_json(ask_door._read_line(conn, ask_door.MAX_REPLY))
        assert reply.refused and "too long" in reply.refused
    assert not path.exists(), "the door is closed with its bot"
    assert asked == []


def test_the_fingerprint_ignores_slack_settings_and_follows_the_answer_settings(tmp_path: Path) -> None:
    base = {"knowledge_dir": tmp_path / "k", "chroma_path": tmp_path / "i"}
    plain = fingerprint(load_settings(**base))
    assert fingerprint(load_settings(**base, slack_bot_token="xoxb-1", rapport_answer_processes=3)) == plain
    assert fingerprint(load_settings(**base, openai_model="other")) != plain
    assert fingerprint(load_settings(**base, openai_api_key="sk-1")) != plain
    assert fingerprint(load_settings(**{**base, "knowledge_dir": tmp_path / "other"})) != plain
    assert os.fsencode(str(ask_door.socket_path(load_settings(**base)))).endswith(b"/i/ask.sock")
