"""Deduplication with a real redis-server (Debian's package): Redis down is not Slack down.

The server is started on 127.0.0.1 on a free port, stopped in the middle of the test and started
again; the app answers over real HTTP the whole time, and /healthz says what is degraded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.index.embedding import MiniLMEmbedding
from bot.slack.dedup import PROBE_EVERY
from bot.slack.server import make_http_server
from tests.fake_slack import Bot, running_bot, sample_index
from tests.serve_kit import free_port, http_call
from tests.slack_requests import SIGNING_SECRET, load, signed_request

MENTIONS_WHILE_DOWN = 20


class RedisServer:
    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            if os.environ.get("CI"):
                pytest.fail("redis-server is missing: .ci/run installs Debian's redis-server package")
            pytest.skip("redis-server is not installed (apt-get install redis-server)")
        self.binary = binary
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def post(port: int, payload: dict[str, object]) -> int:
    body, headers = signed_request(payload)
    return http_call(port, "POST", "/slack/events", body.encode(), headers)[0]


def mention(n: int, event_id: str | None = None) -> dict[str, object]:
    ts = f"1763800100.{n:06d}"
    payload = load("app_mention", event_id=event_id or f"EvREDIS{n:04d}")
    payload["event"] = {**payload["event"], "ts": ts, "event_ts": ts}  # type: ignore[dict-item]
    return payload


def answered(bot: Bot) -> int:
    return len({c.args.get("thread_ts") for c in bot.fake.calls_to("chat.postMessage")})


@pytest.fixture
def http_bot(
    redis_server: RedisServer, sample_copy: Path, tmp_path: Path, embedder: MiniLMEmbedding
) -> Iterator[tuple[Bot, int]]:
    index = sample_index(tmp_path / "index", tmp_path, embedder)
    with running_bot(sample_copy, index, embedder, redis_url=redis_server.url) as bot:
        server = make_http_server(bot.app, "127.0.0.1", 0, signing_secret=SIGNING_SECRET, health=bot.rt.services.health)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield bot, server.server_port
        finally:
            server.shutdown()
            server.server_close()


def test_redis_down_then_back(http_bot: tuple[Bot, int], redis_server: RedisServer) -> None:
    bot, port = http_bot
    assert post(port, mention(0)) == 200 and post(port, mention(0)) == 200  # a retry of the same event
    bot.fake.wait_for("chat.postMessage", 1)
    assert answered(bot) == 1

    redis_server.stop()
    statuses = [post(port, mention(n)) for n in range(1, MENTIONS_WHILE_DOWN + 1)]
    assert statuses == [200] * MENTIONS_WHILE_DOWN
    assert post(port, mention(1)) == 200  # a retry while Redis is down: caught in this process
    bot.fake.wait_for("chat.postMessage", MENTIONS_WHILE_DOWN + 1, timeout=180)
    time.sleep(1)
    assert answered(bot) == MENTIONS_WHILE_DOWN + 1  # every mention answered, each once
    status, detail = http_call(port, "GET", "/healthz")
    assert status == 503 and detail.startswith("dedup: Redis at 127.0.0.1") and "unreachable" in detail

    redis_server.start()  # same port, empty: recovery needs no restart of the bot
    deadline = time.monotonic() + 10 * PROBE_EVERY
    while http_call(port, "GET", "/healthz")[0] != 200:
        assert time.monotonic() < deadline, "health did not recover"
        time.sleep(0.2)
    import redis

    # Another replica handled this event: with Redis back, this one must see that and stay quiet.
    redis.Redis.from_url(redis_server.url).set("rapport:once:event:EvOTHER", "1", ex=60)
    assert post(port, mention(900, event_id="EvOTHER")) == 200
    assert post(port, mention(901)) == 200
    bot.fake.wait_for("chat.postMessage", MENTIONS_WHILE_DOWN + 2, timeout=60)
    time.sleep(1)
    threads = {c.args.get("thread_ts") for c in bot.fake.calls_to("chat.postMessage")}
    assert "1763800100.000901" in threads and "1763800100.000900" not in threads


def test_a_replayed_slash_command_is_answered_once(http_bot: tuple[Bot, int]) -> None:
    bot, port = http_bot
    command = load("command_customer", bot.fake)
    body, headers = signed_request(command)
    replays = [http_call(port, "POST", "/slack/events", body.encode(), headers)[0] for _ in range(3)]
    assert replays == [200, 200, 200]
    other = {**command, "trigger_id": "another.trigger", "text": "Tom Baker"}
    assert post(port, other) == 200  # a new command (its own trigger id) is answered
    bot.fake.wait_for("response_url", 2, timeout=60)
    time.sleep(1)
    assert len(bot.fake.calls_to("response_url")) == 2
