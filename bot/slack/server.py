"""`rapport serve`: Socket Mode (the default, no public URL) or the Events API over HTTP.

HTTP runs a small threaded WSGI server around Bolt's WSGI adapter: Request URL
path /slack/events, plus GET /healthz for a load balancer. Bolt's own
`app.start()` server handles one request at a time and is meant for development.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.config import Settings
from bot.index.indexer import IndexBusy
from bot.services.container import build_services
from bot.services.knowledge import Knowledge
from bot.services.watcher import KnowledgeWatcher
from bot.slack.app import MissingSetting, build_app, secret, web_client
from bot.slack.errors import install_redaction
from bot.slack.runtime import Runtime
from bot.slack.socket_mode import SocketModeHandler
from bot.slack.startup import check_settings

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
WHY = {
    "SLACK_BOT_TOKEN": "the bot token (xoxb-...) from OAuth & Permissions",
    "SLACK_APP_TOKEN": "Socket Mode needs the app-level token (xapp-...) with connections:write "
    "(or run `rapport serve --http` with SLACK_SIGNING_SECRET)",
    "SLACK_SIGNING_SECRET": "HTTP mode needs it to verify requests from Slack (Basic Information > Signing Secret)",
}


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    # socketserver's default listen backlog is 5: a burst of Slack events overflows it, the kernel drops
    # the extra SYNs and clients retry a second later, so acks would take over a second.
    request_queue_size = 128


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)


StartResponse = Callable[..., Any]


def wsgi_app(app: App) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    bolt = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") == "GET":
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok\n"]
        return bolt(environ, start_response)  # type: ignore[arg-type]

    return application


def make_http_server(app: App, host: str, port: int) -> WSGIServer:
    return make_server(host, port, wsgi_app(app), server_class=ThreadingWSGIServer, handler_class=QuietHandler)


def required_tokens(settings: Settings, http: bool) -> dict[str, str]:
    names = ["slack_bot_token", "slack_signing_secret" if http else "slack_app_token"]
    return {name: secret(settings, name) for name in names}


def start_knowledge(knowledge: Knowledge, stack: ExitStack) -> KnowledgeWatcher | None:
    """Own the index for the process's lifetime and follow the folder; or read it, if another process owns it."""
    try:
        stack.enter_context(knowledge.index.lock())
    except IndexBusy:
        log.warning(
            "another process writes the index at %s: this process reads it and does not watch the folder",
            knowledge.index.dir,
        )
        knowledge.reload()
        return None
    watcher = KnowledgeWatcher(knowledge)
    watcher.start()  # before the first sync, so an edit made during it is not missed
    stack.callback(watcher.stop)
    report = watcher.sync_now()
    if report is not None:
        log.info("index ready: %d records, %d problems (see `rapport check`)", report.records, len(report.problems))
    return watcher


SWITCH_INTERVAL = 0.0005


def serve(settings: Settings, *, http: bool = False, port: int = 3000, host: str = "0.0.0.0") -> int:
    try:
        tokens = required_tokens(settings, http)
    except MissingSetting as exc:
        name = str(exc)
        print(
            f"rapport serve: {name} is not set: {WHY.get(name, 'required')}. See README, 'Slack app setup'.",
            file=sys.stderr,
        )
        return 2
    problem = check_settings(settings, http)  # one line naming a wrong token, not a traceback
    if problem:
        print(problem, file=sys.stderr)
        return 2
    install_redaction()
    # Hand the GIL over every 0.5 ms instead of 5 ms: an ack needs only ~2 ms of Python, but under
    # load it waits for the GIL behind answers being computed; shorter slices keep acks fast.
    sys.setswitchinterval(SWITCH_INTERVAL)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with ExitStack() as stack:
        services = build_services(settings)
        watcher = start_knowledge(services.knowledge, stack)
        rt = Runtime.create(services, watcher=watcher, owns_index=watcher is not None)
        app = build_app(rt)
        try:
            if http:
                server = make_http_server(app, host, port)
                log.info("Rapport is listening on http://%s:%d%s", host, port, EVENTS_PATH)
                server.serve_forever()
            else:
                handler = SocketModeHandler(app, tokens["slack_app_token"], web_client(settings))
                log.info("Rapport is connecting to Slack (Socket Mode)")
                handler.start()  # type: ignore[no-untyped-call]
        except KeyboardInterrupt:
            log.info("stopping")
    return 0
