"""Bad traffic against a real `rapport serve --http` (LOG_LEVEL=DEBUG): a quick 4xx, a short log line,
no 5xx, no body in the log, no customer data in the log; and the bot still answers Slack afterwards."""

from __future__ import annotations

import json
import socket
import time
import urllib.parse
from collections.abc import Iterator

import pytest

from bot.index.embedding import MiniLMEmbedding
from bot.logs import MAX_LINE
from bot.slack.gateway import MAX_BODY
from bot.slack.http_door import READ_TIMEOUT
from tests.serve_kit import Served, http_call, sample_bot
from tests.slack_requests import sign

MARKER = "HOSTILEBODYMARKER"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding) -> Iterator[Served]:
    with sample_bot(tmp_path_factory, embedder, "hostile", LOG_LEVEL="DEBUG") as bot:
        bot.wait_healthy()
        yield bot


def hostile_requests() -> list[tuple[str, bytes, dict[str, str]]]:
    """(what, body, headers): unsigned, forged, stale, malformed headers, odd bodies."""
    body = json.dumps({"type": "event_callback", "event_id": "EvX", "text": MARKER * 50}).encode()
    good = sign(body.decode())
    cases: list[tuple[str, bytes, dict[str, str]]] = [
        ("unsigned json", body, {}),
        ("unsigned malformed", b"{not json " + MARKER.encode(), {}),
        ("unsigned form", f"payload=%7B{MARKER}".encode(), {"content-type": "application/x-www-form-urlencoded"}),
        ("forged", body, sign(body.decode(), secret="wrong")),
        ("stale", body, sign(body.decode(), timestamp=int(time.time()) - 3600)),
        ("timestamp not a number", body, {**good, "x-slack-request-timestamp": "abc"}),
        ("timestamp huge", body, {**good, "x-slack-request-timestamp": "9" * 40}),
        ("signature not hex", body, {**good, "x-slack-signature": "v0=" + "é" * 10}),
        ("signature empty", body, {**good, "x-slack-signature": ""}),
        ("binary body", bytes(range(256)) * 4, good),
    ]
    return cases


def signed_malformed() -> list[tuple[str, str, str]]:
    """Correctly signed bodies that are not usable Slack payloads (what, body, content type)."""
    command = urllib.parse.urlencode({"command": "/customer", "text": "jane"})  # no user, channel, team
    return [
        ("signed half json", "{", "application/json"),
        ("signed json list", "[1, 2]", "application/json"),
        ("signed payload not json", "payload=notjson", "application/x-www-form-urlencoded"),
        ("signed command missing fields", command, "application/x-www-form-urlencoded"),
        ("signed event without event", json.dumps({"type": "event_callback", "event_id": "EvY"}), "application/json"),
    ]


def raw_request(port: int, data: bytes) -> int:
    """Send raw bytes; the HTTP status of the reply (0 when the server closed without one)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(data)
        reply = s.recv(64)
    parts = reply.split(b" ")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def test_hostile_requests_get_4xx_and_short_log_lines(served: Served) -> None:
    statuses: dict[str, int] = {}
    for what, body, headers in hostile_requests():
        statuses[what] = http_call(served.port, "POST", "/slack/events", body, headers)[0]
    for what, text, content_type in signed_malformed():
        status, answer = http_call(
            served.port, "POST", "/slack/events", text.encode(), {"content-type": content_type, **sign(text)}
        )
        statuses[what] = status
        if "command" in what:
            assert "Sorry" in json.loads(answer)["text"]  # a friendly, private answer to the person
    # 10 MB announced: refused from the headers, before a byte of the body is read
    head = f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: {10 * MAX_BODY}\r\n\r\n".encode()
    statuses["10 MB body"] = raw_request(served.port, head)
    statuses["no length"] = raw_request(
        served.port, b"POST /slack/events HTTP/1.1\r\nHost: x\r\n\r\n" + MARKER.encode()
    )
    statuses["bad length"] = raw_request(
        served.port, b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"
    )
    statuses["GET events"] = http_call(served.port, "GET", "/slack/events")[0]
    statuses["long path"] = http_call(served.port, "GET", "/" + "a" * 5000)[0]

    server_errors = {what: s for what, s in statuses.items() if s >= 500 or s == 0}
    assert server_errors == {}, statuses
    assert all(400 <= s < 500 for w, s in statuses.items() if not w.startswith("signed")), statuses
    # A signed but unusable payload: 200 (a command, with a friendly private answer) or 400, or Bolt's
    # 404 for a well-formed event nobody listens to; never a 5xx.
    assert all(s in (200, 400, 404) for w, s in statuses.items() if w.startswith("signed")), statuses


def test_half_open_connections_are_let_go(served: Served) -> None:
    sockets = [socket.create_connection(("127.0.0.1", served.port), timeout=30) for _ in range(60)]
    try:
        for s in sockets:
            s.sendall(b"POST /slack/events HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")  # then nothing
        assert served.healthz()[0] == 200  # they hold no one else up
        time.sleep(READ_TIMEOUT + 1)
        replies = [s.recv(64) for s in sockets]  # the server answered 408 and closed, or just closed
        assert all(r == b"" or r.startswith(b"HTTP/1.0 408") for r in replies), replies[:3]
    finally:
        for s in sockets:
            s.close()


def test_still_answers_slack_and_the_log_holds_no_body_and_no_customer(served: Served) -> None:
    answer = served.mention("Tom Baker asked whether his grinder is still under warranty. What should I tell him?")
    assert "Tom" in answer
    log = served.log()
    lines = log.splitlines()
    assert lines and max(len(line) for line in lines) <= MAX_LINE
    assert MARKER not in log  # no request body, not even at DEBUG
    assert "warranty" not in log and "Baker" not in log  # the question and the customer stay out of the log
    assert served.healthz()[0] == 200
