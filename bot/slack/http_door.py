"""`rapport serve --http`'s HTTP server, open from the process's first second.

Everything here is light to import (the standard library's WSGI server, the signature check, the
health registry), so the port opens before Bolt's app, the listeners and the services are imported
and built, which takes a second or two. Until the app is there, `LateBolt` stands in for it:

* an Events API event (a mention, a DM) is acked with an empty 200, which is all Bolt's ack of
  an event ever says, and kept; once the app is built, each kept event runs through it in the
  order it came, as if it had just arrived (dedup, listeners, answer processes);
* anything else (a slash command or a click, whose ack carries text or a modal) waits for the app,
  up to 2.5 s, inside Slack's 3 s; past that it gets 503 and Slack shows its own error;
* `/healthz` says `starting: …` (503) until the app is there.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from bot.services.health import Health
from bot.slack.gateway import StartResponse, WSGIApp, reply, slack_door

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
READ_TIMEOUT = 10.0  # seconds any one socket read may take; Slack sends a whole request at once
WAIT_FOR_APP = 2.5  # seconds a request whose ack has content waits for the app (Slack allows 3)
STARTING = "starting"


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    # socketserver's default listen backlog is 5: a burst of Slack events overflows it, the kernel drops
    # the extra SYNs and clients retry a second later, so acks would take over a second.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A dropped or timed-out connection: one short line, not a traceback on stderr."""
        kind = sys.exc_info()[0]
        log.info("connection from %s ended early (%s)", client_address[0], kind.__name__ if kind else "?")


class QuietHandler(WSGIRequestHandler):
    timeout = READ_TIMEOUT  # StreamRequestHandler applies it to the socket: half-open clients let go
    # wsgiref writes the status line, each header block and the body in separate unbuffered writes:
    # four system calls per ack, each giving up the GIL and waiting for it again behind the other
    # requests of a burst. Buffered, the response leaves in one write when the handler flushes it.
    wbufsize = 64 * 1024

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), (format % args)[:200])


def door_app(bolt: WSGIApp, signing_secret: str, health: Health | None = None) -> WSGIApp:
    """`/slack/events` through the signature door to `bolt`, `/healthz`, and 404 for the rest."""
    events = slack_door(bolt, signing_secret)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if path == HEALTH_PATH and environ.get("REQUEST_METHOD") == "GET":
            return healthz(health, start_response)
        if path == EVENTS_PATH:
            return events(environ, start_response)
        return reply(start_response, "404 Not Found", "Not Found")

    return application


def healthz(health: Health | None, start_response: StartResponse) -> list[bytes]:
    """200 `ok`, or 503 with one line per problem (watcher, dedup, index) for the load balancer and alerts."""
    problems = health.problems() if health is not None else []
    if not problems:
        return reply(start_response, "200 OK", "ok\n")
    return reply(start_response, "503 Service Unavailable", "".join(f"{p.name}: {p.detail}\n" for p in problems))


def listen(host: str, port: int, application: WSGIApp) -> WSGIServer:
    return make_server(host, port, application, server_class=ThreadingWSGIServer, handler_class=QuietHandler)


def is_event(environ: dict[str, Any], body: bytes) -> bool:
    """An Events API event callback (its ack is an empty 200 whatever the listener)."""
    if not str(environ.get("CONTENT_TYPE") or "").startswith("application/json"):
        return False
    try:
        payload = json.loads(body)
    except ValueError:
        return False
    return isinstance(payload, dict) and payload.get("type") == "event_callback"


class LateBolt:
    """Bolt's WSGI handler once `ready` gives it; until then, what the module's doc says."""

    def __init__(self, wait: float = WAIT_FOR_APP) -> None:
        self.wait = wait
        self._bolt: WSGIApp | None = None
        self._held: list[tuple[dict[str, Any], bytes]] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        bolt = self._bolt
        if bolt is not None:
            return bolt(environ, start_response)
        body = environ["wsgi.input"].read()  # the door read and verified it, and hands it over in memory
        if is_event(environ, body):
            with self._lock:
                if self._bolt is None:
                    self._held.append(({k: v for k, v in environ.items() if k != "wsgi.input"}, body))
                    return reply(start_response, "200 OK", "")
        if not self._ready.wait(self.wait) or self._bolt is None:
            log.warning("a request came while the app was still starting and waited %.1f s for it", self.wait)
            return reply(start_response, "503 Service Unavailable", "Rapport is starting; try again in a moment")
        return self._bolt({**environ, "wsgi.input": io.BytesIO(body)}, start_response)

    def ready(self, bolt: WSGIApp) -> int:
        """Run the events acked meanwhile through Bolt, in the order they came (those arriving while
        this runs join the end of the line), then hand over to it; how many were run."""
        done = 0
        while True:
            with self._lock:
                held, self._held = self._held, []
                if not held:
                    self._bolt = bolt
                    break
            for environ, body in held:
                try:
                    list(bolt({**environ, "wsgi.input": io.BytesIO(body)}, lambda *_: None))  # acked already
                except Exception:
                    log.exception("an event acked during start-up could not be run")
            done += len(held)
        self._ready.set()
        if done:
            log.info("%d event(s) acked during start-up sent to the app", done)
        return done


@dataclass
class EarlyServer:
    """The HTTP server of `serve --http`, listening before the app exists."""

    server: WSGIServer
    late: LateBolt
    health: Health

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def open_early(host: str, port: int, signing_secret: str) -> EarlyServer:
    """Listen now; `/healthz` reports `starting` until `serve` has built the app and cleared it."""
    health = Health()
    health.report(STARTING, False, "loading the app; Slack events are acked and answered once it is ready")
    late = LateBolt()
    server = listen(host, port, door_app(late, signing_secret, health))
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    return EarlyServer(server=server, late=late, health=health)
