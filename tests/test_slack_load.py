"""A slow model never delays acks: 20 concurrent signed requests over real HTTP, each acked fast."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.answer import Draft, Usage
from bot.core.drafting import DrafterResult
from bot.core.plan import DraftPlan
from bot.index.embedding import MiniLMEmbedding
from bot.services.drafts import compose, restyle
from bot.slack.server import make_http_server
from tests.fake_slack import SIGNING_SECRET, Bot, running_bot, sample_index
from tests.slack_requests import load, signed_request

DELAY = 2.0
REQUESTS = 20


class SlowDrafter:
    """A language model that takes two seconds per answer, and counts how many run at once."""

    def __init__(self, delay: float = DELAY) -> None:
        self.delay = delay
        self.running = 0
        self.peak = 0
        self._lock = threading.Lock()

    def _wait(self) -> None:
        with self._lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        time.sleep(self.delay)
        with self._lock:
            self.running -= 1

    def draft(self, plan: DraftPlan, progress: object = None) -> DrafterResult:
        self._wait()
        return DrafterResult(drafts=compose(plan), usage=Usage(prompt_tokens=100, completion_tokens=50))

    def refine(self, plan: DraftPlan, draft: Draft, style: str) -> DrafterResult:
        self._wait()
        return DrafterResult(drafts=[restyle(plan, draft, style)], usage=Usage())


@pytest.fixture
def slow_bot(
    sample_copy: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding
) -> Iterator[tuple[Bot, SlowDrafter, str]]:
    index = sample_index(tmp_path / "index", tmp_path_factory.getbasetemp(), embedder)
    drafter = SlowDrafter()
    with running_bot(sample_copy, index, embedder, drafter=drafter) as bot:
        server = make_http_server(bot.app, "127.0.0.1", 0, signing_secret=SIGNING_SECRET, health=bot.rt.services.health)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield bot, drafter, f"http://127.0.0.1:{server.server_port}/slack/events"
        finally:
            server.shutdown()
            server.server_close()


# Slack's requests come from outside: the load is sent from another process, so the client's own
# threads do not compete with the bot for this interpreter's GIL and blur the measurement.
CLIENT = """
import json, sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor
url, requests = json.load(sys.stdin)
def post(item):
    body, headers = item
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, time.monotonic() - started
with ThreadPoolExecutor(len(requests)) as pool:
    print(json.dumps(list(pool.map(post, requests))))
"""


def send_concurrently(url: str, payloads: list[dict[str, Any]]) -> list[tuple[int, float]]:
    requests = [signed_request(p) for p in payloads]
    done = subprocess.run(
        [sys.executable, "-c", CLIENT], input=json.dumps([url, requests]), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return [(status, seconds) for status, seconds in json.loads(done.stdout)]


def test_acks_stay_fast_while_a_slow_model_works(slow_bot: tuple[Bot, SlowDrafter, str]) -> None:
    bot, drafter, url = slow_bot
    payloads = [load("app_mention", event_id=f"Ev0LOAD{i:05d}") for i in range(REQUESTS)]
    started = time.monotonic()
    results = send_concurrently(url, payloads)

    assert [status for status, _ in results] == [200] * REQUESTS
    slowest_ack = max(seconds for _, seconds in results)
    # No ack waits for the model (each model call takes DELAY). The ack latency itself is a figure of
    # bench/run.py, not a timed unit test.
    assert slowest_ack < DELAY, f"slowest ack took {slowest_ack:.2f}s"

    posts = bot.fake.wait_for("chat.postMessage", REQUESTS, timeout=60)
    assert all("Worded by the language model" in str(p.args["blocks"]) for p in posts)
    # Bolt's default pool has 5 threads; RAPPORT_WORKERS (32) lets every waiting model call overlap.
    assert drafter.peak > 5, f"only {drafter.peak} model calls ran at once"
    assert time.monotonic() - started < REQUESTS * DELAY / 2
