"""`serve --http` listens before the app is built: events are acked and kept, the rest waits (http_door.py).

Through a real listening server on 127.0.0.1 with signed requests; Bolt is stood in for by a WSGI app
that records what reaches it, so the hand-over itself is what is checked.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from bot.slack.gateway import StartResponse
from bot.slack.http_door import EarlyServer, open_early
from tests.serve_kit import http_call
from tests.slack_requests import SIGNING_SECRET, load, signed_request


class RecordingBolt:
    def __init__(self) -> None:
        self.seen: list[bytes] = []

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        self.seen.append(body)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"from bolt"]


@pytest.fixture
def early() -> Iterator[EarlyServer]:
    server = open_early("127.0.0.1", 0, SIGNING_SECRET)
    yield server
    server.stop()


def port(early: EarlyServer) -> int:
    return int(early.server.server_address[1])


def post(early: EarlyServer, payload: dict[str, Any]) -> tuple[int, str]:
    body, headers = signed_request(payload)
    return http_call(port(early), "POST", "/slack/events", body.encode(), headers)


def mention(n: int) -> dict[str, Any]:
    payload = load("app_mention", event_id=f"EvEARLY{n:04d}")
    payload["event"] = {**payload["event"], "text": f"<@UBOT> question {n}", "ts": f"1763800000.{n:06d}"}
    return payload


def test_events_are_acked_at_once_and_run_in_order_when_the_app_is_ready(early: EarlyServer) -> None:
    assert http_call(port(early), "GET", "/healthz")[0] == 503  # starting
    assert [post(early, mention(n)) for n in range(3)] == [(200, "")] * 3
    bolt = RecordingBolt()
    assert early.late.ready(bolt) == 3
    assert [next(n for n in range(3) if f"question {n}".encode() in body) for body in bolt.seen] == [0, 1, 2]
    assert post(early, mention(3)) == (200, "from bolt")  # from now on, straight to the app
    assert len(bolt.seen) == 4


def test_a_command_waits_for_the_app_and_gets_its_ack(early: EarlyServer) -> None:
    bolt = RecordingBolt()
    got: list[tuple[int, str]] = []
    waiting = threading.Thread(target=lambda: got.append(post(early, load("command_customer"))))
    waiting.start()
    waiting.join(0.5)
    assert waiting.is_alive() and not got  # its ack has content: it waits for the app
    early.late.ready(bolt)
    waiting.join(10)
    assert got == [(200, "from bolt")] and len(bolt.seen) == 1


def test_a_command_that_waits_too_long_gets_503_and_unsigned_requests_401(early: EarlyServer) -> None:
    early.late.wait = 0.2
    assert post(early, load("command_customer"))[0] == 503
    body, headers = signed_request(mention(9))
    headers["x-slack-signature"] = "v0=" + "0" * 64
    assert http_call(port(early), "POST", "/slack/events", body.encode(), headers)[0] == 401
