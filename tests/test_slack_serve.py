"""`rapport serve`: required tokens, the HTTP server (/slack/events, /healthz), a real process end to end."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.index.embedding import MiniLMEmbedding
from bot.slack.server import make_http_server
from tests.conftest import SAMPLE
from tests.fake_slack import BOT_TOKEN, SIGNING_SECRET, Bot, FakeSlack, running_bot, sample_index
from tests.fake_socket_mode import FakeSocketMode, events_api
from tests.slack_requests import load, sign, signed_request


def rapport_serve(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,  # no developer's .env is read
        env={**os.environ, **env},
    )


@pytest.mark.parametrize(
    ("args", "env", "missing"),
    [
        ((), {}, "SLACK_BOT_TOKEN"),
        (("--socket",), {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN"),
        (("--http", "--port", "0"), {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, "SLACK_SIGNING_SECRET"),
    ],
)
def test_serve_names_the_missing_variable_and_exits_2(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], missing: str
) -> None:
    done = rapport_serve(*args, env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert f"rapport serve: {missing} is not set" in done.stderr
    assert "xoxb-1" not in done.stderr + done.stdout


@pytest.fixture
def http(
    sample_copy: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding
) -> Iterator[tuple[Bot, str]]:
    index = sample_index(tmp_path / "index", tmp_path_factory.getbasetemp(), embedder)
    with running_bot(sample_copy, index, embedder) as bot:
        server = make_http_server(bot.app, "127.0.0.1", 0, signing_secret=SIGNING_SECRET, health=bot.rt.services.health)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield bot, f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            server.server_close()


def request(url: str, body: str | None = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
    data = body.encode() if body is not None else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers or {}), timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_http_server_routes(http: tuple[Bot, str]) -> None:
    _, base = http
    assert request(base + "/healthz") == (200, "ok\n")
    body, headers = signed_request(load("app_mention", event_id="Ev0HTTP00001"))
    assert request(base + "/other", body, headers)[0] == 404
    challenge = json.dumps(
        {"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"}
    )
    status, answer = request(base + "/slack/events", challenge, {"content-type": "application/json", **sign(challenge)})
    assert status == 200 and "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in answer


def test_http_refuses_bad_and_stale_signatures(http: tuple[Bot, str]) -> None:
    bot, base = http
    body, headers = signed_request(load("app_mention", event_id="Ev0HTTP00002"))
    forged = {**headers, **sign(body, secret="not-the-secret")}
    stale = {**headers, **sign(body, timestamp=int(time.time()) - 600)}
    assert request(base + "/slack/events", body, forged)[0] == 401
    assert request(base + "/slack/events", body, stale)[0] == 401
    assert request(base + "/slack/events", body, headers)[0] == 200
    bot.fake.wait_for("chat.postMessage")
    assert len(bot.fake.calls_to("chat.postMessage")) == 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SERVE = """
import logging, sys
from bot.config import Settings
from bot.slack.server import serve
logging.basicConfig(level="DEBUG", stream=sys.stderr)
sys.exit(serve(Settings(), http=True, port=int(sys.argv[1]), host="127.0.0.1"))
"""


def test_a_real_serve_process_answers_a_mention_and_stops_cleanly(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding
) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(SAMPLE, knowledge)
    index = sample_index(tmp_path / "index", tmp_path_factory.getbasetemp(), embedder)
    fake = FakeSlack().start()
    port = free_port()
    env = {
        **os.environ,
        "KNOWLEDGE_DIR": str(knowledge),
        "CHROMA_PATH": str(index),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "RAPPORT_TODAY": "2026-11-22",
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(port)], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                if request(base + "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not come up"
            time.sleep(0.2)
        body, headers = signed_request(load("app_mention", event_id="Ev0SERVE0001"))
        assert request(base + "/slack/events", body, headers)[0] == 200
        post = fake.wait_for("chat.postMessage")[0]
        assert post.token == BOT_TOKEN and post.args["thread_ts"] == "1763800000.000200"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
        fake.stop()
    assert proc.returncode == 0, stderr[-2000:]
    assert BOT_TOKEN not in stderr  # tokens never reach the log, even at DEBUG
    assert "index ready" in stderr
    assert "will be unused" not in stderr and "will be ignored" not in stderr  # Bolt's misleading start-up note
    assert [c.method for c in fake.calls][:1] == ["auth.test"]  # the token was checked before serving


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.mark.parametrize(
    ("args", "env", "error", "expect"),
    [
        (
            (),
            {"SLACK_APP_TOKEN": "xapp-1-A0-1-x"},
            ("bot", "invalid_auth"),
            "SLACK_BOT_TOKEN is not a token Slack knows",
        ),
        ((), {"SLACK_APP_TOKEN": "xapp-1-A0-1-x"}, ("bot", "token_revoked"), "SLACK_BOT_TOKEN has been revoked"),
        ((), {"SLACK_APP_TOKEN": BOT_TOKEN}, None, "SLACK_APP_TOKEN is the wrong kind of token"),
        (("--http", "--port", "0"), {"SLACK_SIGNING_SECRET": "s"}, ("bot", "account_inactive"), "deactivated"),
    ],
)
def test_a_wrong_token_stops_serve_with_one_line_naming_it(
    tmp_path: Path,
    fake_slack: FakeSlack,
    args: tuple[str, ...],
    env: dict[str, str],
    error: tuple[str, str] | None,
    expect: str,
) -> None:
    if error is not None:
        fake_slack.token_errors[BOT_TOKEN] = error[1]
    # A valid folder: the one thing wrong is the token (a missing folder is refused before Slack is asked).
    base = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake_slack.api_url, "KNOWLEDGE_DIR": str(SAMPLE)}
    done = rapport_serve(*args, env={**base, **env}, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and expect in lines[0] and "Traceback" not in done.stderr, done.stderr
    assert BOT_TOKEN not in done.stderr + done.stdout


def test_serve_says_when_slack_cannot_be_reached(tmp_path: Path) -> None:
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "xapp-1-A0-1-x", "KNOWLEDGE_DIR": str(SAMPLE)}
    done = rapport_serve(env={**env, "SLACK_API_URL": f"http://127.0.0.1:{free_port()}/api/"}, cwd=tmp_path)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and "cannot reach Slack at http://127.0.0.1:" in lines[0]


SOCKET = """
import logging, sys
from bot.config import Settings
from bot.slack.server import serve
logging.basicConfig(level="INFO", stream=sys.stderr)
sys.exit(serve(Settings()))
"""


def test_a_real_socket_mode_process_connects_acks_and_answers(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding, fake_slack: FakeSlack
) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(SAMPLE, knowledge)
    index = sample_index(tmp_path / "index", tmp_path_factory.getbasetemp(), embedder)
    server = FakeSocketMode().start()
    fake_slack.socket_url = lambda: server.url
    env = {
        **os.environ,
        "KNOWLEDGE_DIR": str(knowledge),
        "CHROMA_PATH": str(index),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": "xapp-1-A0RAPPORT01-1-processtest",
        "SLACK_API_URL": fake_slack.api_url,
        "RAPPORT_TODAY": "2026-11-22",
    }
    proc = subprocess.Popen([sys.executable, "-c", SOCKET], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    stderr = ""
    try:
        server.wait_connections(1, timeout=90)
        envelope = server.send(events_api(load("app_mention", event_id="Ev0SOCKPROC1")))
        assert server.wait_ack(envelope).after < 3
        post = fake_slack.wait_for("chat.postMessage")[0]
        assert post.token == BOT_TOKEN and post.args["thread_ts"] == "1763800000.000200"
    except AssertionError as exc:  # what the bot logged says why: part of the failure's report
        proc.send_signal(signal.SIGTERM)
        stderr = proc.communicate(timeout=30)[1]
        raise AssertionError(f"{exc}\n--- the bot's log ---\n{stderr[-6000:]}") from exc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            stderr = proc.communicate(timeout=30)[1]
        server.stop()
    assert "will be unused" not in stderr and "will be ignored" not in stderr
    assert BOT_TOKEN not in stderr and "xapp-1-A0RAPPORT01-1-processtest" not in stderr
