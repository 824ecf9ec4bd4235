"""Real `rapport serve --http` processes on 127.0.0.1 for tests and bench: start, ask, stop.

Slack's Web API is the fake from tests/fake_slack.py; answers are read from what reached it.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.index.embedding import MiniLMEmbedding
from tests.conftest import SAMPLE
from tests.fake_slack import BOT_TOKEN, FakeSlack, sample_index
from tests.slack_requests import SIGNING_SECRET, all_text, load, signed_request

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_call(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


@dataclass
class Served:
    proc: subprocess.Popen[str]
    port: int
    fake: FakeSlack
    log_path: Path
    asked: int = field(default=0)
    env: dict[str, str] = field(default_factory=dict)  # the environment it was started with

    def healthz(self) -> tuple[int, str]:
        return http_call(self.port, "GET", "/healthz")

    def wait_healthy(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"rapport serve exited {self.proc.returncode}: {self.log()[-3000:]}")
            try:
                if self.healthz()[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"rapport serve did not come up: {self.log()[-3000:]}")

    def mention(self, question: str, wait: float = 60) -> str:
        """Ask in a new thread; the text of Rapport's answer in that thread."""
        self.asked += 1
        ts = f"1763900{self.port % 1000:03d}.{self.asked:06d}"
        payload = load("app_mention", event_id=f"Ev{self.port}x{self.asked}")
        payload["event"] = {**payload["event"], "text": f"<@UBOT> {question}", "ts": ts, "event_ts": ts}
        payload["event"].pop("blocks", None)
        body, headers = signed_request(payload)
        status, _ = http_call(self.port, "POST", "/slack/events", body.encode(), headers)
        assert status == 200, status
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            for call in self.fake.calls_to("chat.postMessage"):
                if call.args.get("thread_ts") == ts:
                    blocks: Any = call.args.get("blocks") or []
                    if isinstance(blocks, str):
                        blocks = json.loads(blocks)
                    return f"{call.args.get('text', '')}\n{all_text(blocks)}"
            time.sleep(0.05)
        raise AssertionError(f"no answer to {question!r} within {wait}s")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.log()


@contextmanager
def sample_bot(
    factory: pytest.TempPathFactory, embedder: MiniLMEmbedding, name: str, *extra_args: str, **env: str
) -> Iterator[Served]:
    """A real `rapport serve --http` on a copy of the sample folder (its index built once per session)."""
    root = factory.mktemp(name)
    knowledge = root / "knowledge"
    shutil.copytree(SAMPLE, knowledge)
    index = sample_index(root / "index", factory.getbasetemp(), embedder)
    fake = FakeSlack().start()
    bot = serve(knowledge, index, root, fake, *extra_args, **env)
    try:
        yield bot
    finally:
        bot.stop()
        fake.stop()


def serve(knowledge: Path, index: Path, workdir: Path, fake: FakeSlack, *extra_args: str, **env: str) -> Served:
    port = free_port()
    log_path = workdir / f"serve-{port}.log"
    log_file = log_path.open("w", encoding="utf-8")
    full_env = {
        **os.environ,
        "KNOWLEDGE_DIR": str(knowledge),
        "CHROMA_PATH": str(index),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "RAPPORT_TODAY": "2026-11-22",
        **env,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--http", "--port", str(port), *extra_args],
        cwd=workdir,  # no developer's .env is read
        env=full_env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        text=True,
    )
    log_file.close()
    return Served(proc, port, fake, log_path, env=full_env)
