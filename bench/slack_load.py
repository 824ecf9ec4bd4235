"""Slack under load: `rapport serve --http` start-up, then signed app_mention bursts while the model is slow.

The served process is real (a subprocess on 127.0.0.1); Slack's Web API and the language model are the
test suite's local fakes, the model taking `model_delay` seconds per answer.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.tasks import percentiles  # noqa: E402
from bot.knowledge import folder  # noqa: E402
from tests import fake_openai as F  # noqa: E402
from tests.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack  # noqa: E402
from tests.slack_requests import load, signed_request  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(port: int, proc: subprocess.Popen[str], timeout: float = 120) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"rapport serve exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return time.perf_counter() - start
        except OSError:
            time.sleep(0.02)
    raise SystemExit("rapport serve did not come up")


def post(port: int, body: str, headers: dict[str, str]) -> float:
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/slack/events", body=body.encode(), headers=headers)
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"ack status {response.status}")
    return time.perf_counter() - start


def mentions(knowledge: Path, n: int, round_no: int) -> list[tuple[str, dict[str, str]]]:
    names = sorted(c.name for c in folder.load(knowledge).customers.values())[: n * 4 : 4]
    out = []
    for i, name in enumerate(names):
        payload = load("app_mention")
        payload["event_id"] = f"EvBENCH{round_no:02d}{i:04d}"
        text = f"<@UBOT> {name} asked about delivery times, what do I reply?"
        payload["event"].update({"text": text, "ts": f"17638{round_no:02d}{i:04d}.000100", "blocks": []})
        payload["event"]["event_ts"] = payload["event"]["ts"]
        out.append(signed_request(payload))
    return out


def serve_env(slack: FakeSlack, model: F.FakeOpenAI, knowledge: Path, index: Path, **extra: str) -> dict[str, str]:
    """`rapport serve`'s environment for a bench: the fake Slack and model on 127.0.0.1, this folder and index."""
    return {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "OPENAI_API_KEY": "sk-bench",
        "OPENAI_BASE_URL": model.url,
        "KNOWLEDGE_DIR": str(knowledge),
        "CHROMA_PATH": str(index),
        "RAPPORT_TODAY": "2026-11-22",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def measure(
    knowledge: Path, index: Path, concurrency: int = 50, rounds: int = 4, model_delay: float = 2.0
) -> dict[str, Any]:
    slack = FakeSlack().start()
    model = F.FakeOpenAI().start()
    model.script(*[F.slow(model_delay) for _ in range(concurrency * rounds + 50)])
    port = free_port()
    env = serve_env(slack, model, knowledge, index)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        startup = wait_healthy(port, proc)
        acks: list[float] = []
        answered: list[float] = []
        for r in range(rounds):
            batch = mentions(knowledge, concurrency, r)
            before = len(slack.calls_to("chat.postMessage"))
            start = time.perf_counter()
            with ThreadPoolExecutor(concurrency) as pool:
                acks += list(pool.map(lambda req: post(port, *req), batch))
            slack.wait_for("chat.postMessage", before + concurrency, timeout=120)
            answered.append(time.perf_counter() - start)
        ack = percentiles(acks)
        return {
            "serve_startup_s": startup,
            "slack_ack_median_ms": ack["median_ms"],
            "slack_ack_p99_ms": ack["p99_ms"],
            "slack_ack_max_ms": max(acks) * 1000,
            "slack_burst_all_answered_s": max(answered),
            "slack_requests": float(len(acks)),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        slack.stop()
        model.stop()


if __name__ == "__main__":
    print(
        json.dumps(measure(Path(sys.argv[1]), Path(sys.argv[2]), rounds=int(sys.argv[3]) if len(sys.argv) > 3 else 2))
    )
