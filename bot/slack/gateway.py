"""The HTTP door in front of Bolt: limits and Slack's signature first, the payload after.

Unauthenticated traffic never reaches a parser: the body is read only up to MAX_BODY bytes (with
the socket's read timeout), its signature is checked on the raw bytes (Slack's v0 scheme, as in
slack_sdk's SignatureVerifier, but no header or body can make the check raise), and only then is
the request handed to Bolt. Rejections get a short 4xx and, at most every REJECT_LOG_EVERY seconds,
one short log line; no request body is ever logged.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from bot.slack.errors import reference_id

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20  # bytes; Slack's largest payloads (a modal's view state) are well under this
MAX_AGE = 300  # seconds a signed request stays valid (Slack's own window)
REJECT_LOG_EVERY = 10.0
SIGNATURE_RE = re.compile(rb"^v0=[0-9a-f]{64}$")
TIMESTAMP_RE = re.compile(rb"^[0-9]{1,12}$")
StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
FRIENDLY = "Sorry, I couldn't read that request. Please try again; if it keeps happening, tell your Rapport admin."


class Rejected(Exception):
    def __init__(self, status: str, why: str) -> None:
        super().__init__(why)
        self.status = status
        self.why = why


def signed(secret: bytes, body: bytes, timestamp: bytes, signature: bytes, now: float) -> bool:
    """Slack's v0 signature over the raw bytes; False (never an exception) for anything malformed."""
    if not TIMESTAMP_RE.match(timestamp) or not SIGNATURE_RE.match(signature):
        return False
    if abs(now - int(timestamp)) > MAX_AGE:
        return False
    expected = b"v0=" + hmac.new(secret, b"v0:" + timestamp + b":" + body, hashlib.sha256).hexdigest().encode()
    return hmac.compare_digest(expected, signature)


def read_body(environ: dict[str, Any]) -> bytes:
    length = environ.get("CONTENT_LENGTH") or ""
    if not length:
        raise Rejected("411 Length Required", "no Content-Length")
    if not length.isdigit():
        raise Rejected("400 Bad Request", "bad Content-Length")
    size = int(length)
    if size > MAX_BODY:
        raise Rejected("413 Content Too Large", f"body of {size} bytes")
    try:
        body = environ["wsgi.input"].read(size)
    except TimeoutError as exc:  # the socket's read timeout: a slow or half-open client
        raise Rejected("408 Request Timeout", "body not sent in time") from exc
    except OSError as exc:
        raise Rejected("400 Bad Request", f"connection failed ({type(exc).__name__})") from exc
    if len(body) != size:
        raise Rejected("400 Bad Request", "body shorter than Content-Length")
    return bytes(body)


def header(environ: dict[str, Any], name: str) -> bytes:
    value = environ.get(name) or ""
    return str(value).encode("latin-1", "replace")[:200]


class RejectLog:
    """One short line per REJECT_LOG_EVERY seconds, counting what it did not write."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0.0
        self._quiet = 0

    def __call__(self, client: str, why: str) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last < REJECT_LOG_EVERY:
                self._quiet += 1
                return
            quiet, self._quiet, self._last = self._quiet, 0, now
        more = f" (and {quiet} more since the last line)" if quiet else ""
        log.warning("rejected a request from %s: %s%s", client[:64], why[:120], more)


def slack_door(bolt: WSGIApp, signing_secret: str) -> WSGIApp:
    """Wrap Bolt's WSGI app: POST only, bounded body, valid signature, and no 5xx for bad payloads."""
    secret = signing_secret.encode()
    rejected = RejectLog()

    def door(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        client = str(environ.get("REMOTE_ADDR") or "?")
        try:
            if environ.get("REQUEST_METHOD") != "POST":
                raise Rejected("405 Method Not Allowed", "not a POST")
            body = read_body(environ)
            stamp, signature = (
                header(environ, "HTTP_X_SLACK_REQUEST_TIMESTAMP"),
                header(environ, "HTTP_X_SLACK_SIGNATURE"),
            )
            if not signed(secret, body, stamp, signature, time.time()):
                raise Rejected("401 Unauthorized", f"no valid Slack signature ({len(body)} bytes)")
        except Rejected as exc:
            rejected(client, exc.why)
            return reply(start_response, exc.status, exc.status.split(" ", 1)[1])
        return forward(bolt, environ, body, start_response)

    return door


def forward(bolt: WSGIApp, environ: dict[str, Any], body: bytes, start_response: StartResponse) -> Iterable[bytes]:
    """A signed request goes to Bolt; if its payload cannot even be parsed, a 400 with a friendly text."""
    try:
        body.decode("utf-8")
        inner = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        return list(bolt(inner, start_response))
    except Exception as exc:
        ref = reference_id()
        log.warning("a signed request could not be read [ref %s]: %s", ref, type(exc).__name__)
        return reply(start_response, "400 Bad Request", f"{FRIENDLY} Reference: {ref}")


def reply(start_response: StartResponse, status: str, text: str) -> list[bytes]:
    data = text.encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))])
    return [data]
