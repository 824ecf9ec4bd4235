"""`rapport serve`: Socket Mode (the default, no public URL) or the Events API over HTTP.

HTTP runs a small threaded WSGI server around Bolt's WSGI adapter: Request URL
path /slack/events, plus GET /healthz for a load balancer (503 with the list of
problems while `Health` has any). Bolt's own `app.start()` server handles one
request at a time and is meant for development. In front of Bolt, `gateway`
checks size and signature before anything parses a body; every socket read has
a timeout, so half-open connections free their thread.
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

from bot import heap
from bot.config import Settings
from bot.index.indexer import IndexBusy
from bot.index.model_files import model_present
from bot.knowledge.files import require_root
from bot.logs import install_log_policy
from bot.services.container import Services, build_services
from bot.services.health import Health
from bot.services.knowledge import FOLLOW_INTERVAL, Knowledge
from bot.services.watcher import KnowledgeWatcher
from bot.slack.app import MissingSetting, build_app, secret, web_client
from bot.slack.gateway import reply, slack_door
from bot.slack.runtime import Runtime
from bot.slack.socket_mode import SocketModeHandler
from bot.slack.startup import check_settings
from bot.slack.weekly import start_weekly
from bot.slack.workers import AnswerPool, use_answer_processes

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
WHY = {
    "SLACK_BOT_TOKEN": "the bot token (xoxb-...) from OAuth & Permissions",
    "SLACK_APP_TOKEN": "Socket Mode needs the app-level token (xapp-...) with connections:write "
    "(or run `rapport serve --http` with SLACK_SIGNING_SECRET)",
    "SLACK_SIGNING_SECRET": "HTTP mode needs it to verify requests from Slack (Basic Information > Signing Secret)",
}


READ_TIMEOUT = 10.0  # seconds any one socket read may take; Slack sends a whole request at once


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

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), (format % args)[:200])


StartResponse = Callable[..., Any]


def wsgi_app(
    app: App, signing_secret: str, health: Health | None = None
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    bolt = SlackRequestHandler(app, path=EVENTS_PATH)
    events = slack_door(bolt, signing_secret)  # type: ignore[arg-type]

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


def make_http_server(
    app: App, host: str, port: int, *, signing_secret: str, health: Health | None = None
) -> WSGIServer:
    application = wsgi_app(app, signing_secret, health)
    return make_server(host, port, application, server_class=ThreadingWSGIServer, handler_class=QuietHandler)


def required_tokens(settings: Settings, http: bool) -> dict[str, str]:
    names = ["slack_bot_token", "slack_signing_secret" if http else "slack_app_token"]
    return {name: secret(settings, name) for name in names}


def start_knowledge(knowledge: Knowledge, stack: ExitStack, health: Health | None = None) -> KnowledgeWatcher | None:
    """Own the index for the process's lifetime and follow the folder; or read it, if another process owns it."""
    try:
        stack.enter_context(knowledge.index.lock())
    except IndexBusy:
        log.warning(
            "another process writes the index at %s: this process follows it (reloads within %.0f s of a change)",
            knowledge.index.dir,
            FOLLOW_INTERVAL,
        )
        knowledge.reload()
        stack.callback(knowledge.follow().stop)
        return None
    watcher = KnowledgeWatcher(knowledge, health=health)
    watcher.start()  # before the first sync, so an edit made during it is not missed
    stack.callback(watcher.stop)
    report = watcher.sync_now()
    if report is not None:
        log.info("index ready: %d records, %d problems (see `rapport check`)", report.records, len(report.problems))
    return watcher


def own_index(rt: Runtime, stack: ExitStack) -> None:
    """What the process that answers with the index does besides answering: own and watch the index
    (or follow another owner) and post the weekly digest (RAPPORT_DIGEST_CHANNEL)."""
    watcher = start_knowledge(rt.knowledge, stack, rt.services.health)
    rt.watcher, rt.owns_index = watcher, watcher is not None
    start_weekly(rt, web_client(rt.settings, secret(rt.settings, "slack_bot_token")), stack)


def answer_pool(settings: Settings, services: Services, app: App, stack: ExitStack) -> AnswerPool | None:
    """RAPPORT_ANSWER_PROCESSES answer processes (workers.py), or None to answer in this process."""
    if not settings.rapport_answer_processes:
        return None
    # Fetched here if missing, so that a machine that cannot fetch it stops `serve` with one line
    # (as when answering here) instead of answer processes failing one after another.
    if not model_present():  # checked by name first: the full check imports chromadb (about a second)
        services.knowledge.index.embedder.ensure_available()
    pool = AnswerPool(settings, settings.rapport_answer_processes, services.health).start()
    stack.callback(pool.stop)
    use_answer_processes(app, pool)
    return pool


SWITCH_INTERVAL = 0.0005


def serve(settings: Settings, *, http: bool = False, port: int = 3000, host: str = "127.0.0.1") -> int:
    try:
        tokens = required_tokens(settings, http)
    except MissingSetting as exc:
        name = str(exc)
        print(
            f"rapport serve: {name} is not set: {WHY.get(name, 'required')}. See README, 'Slack app setup'.",
            file=sys.stderr,
        )
        return 2
    # A missing knowledge folder would serve nobody: refused after the local settings, before Slack is asked.
    require_root(settings.knowledge_dir)
    problem = check_settings(settings, http)  # one line naming a wrong token, not a traceback
    if problem:
        print(problem, file=sys.stderr)
        return 2
    install_log_policy()
    # Hand the GIL over every 0.5 ms instead of 5 ms: an ack needs only ~2 ms of Python, but under
    # load it waits for the GIL behind answers being computed; shorter slices keep acks fast.
    sys.setswitchinterval(SWITCH_INTERVAL)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with ExitStack() as stack:
        # With answer processes this process only acks: it needs neither the model client nor the
        # index (whose embedding model imports chromadb), so it opens the port about 2 s sooner.
        services = build_services(settings, answers=not settings.rapport_answer_processes)
        rt = Runtime.create(services)
        app = build_app(rt)
        # With answer processes, the first of them owns the index and posts the weekly digest; this
        # process only acks, so it serves Slack at once, while the folder loads.
        if answer_pool(settings, services, app, stack) is None:
            own_index(rt, stack)
        heap.settle()  # what start-up built (the app, the model session's Python side) stays out of full collections
        try:
            if http:
                server = make_http_server(
                    app, host, port, signing_secret=tokens["slack_signing_secret"], health=services.health
                )
                log.info("Rapport is listening on http://%s:%d%s", host, port, EVENTS_PATH)
                server.serve_forever()
            else:
                handler = SocketModeHandler(app, tokens["slack_app_token"], web_client(settings))
                log.info("Rapport is connecting to Slack (Socket Mode)")
                handler.start()  # type: ignore[no-untyped-call]
        except KeyboardInterrupt:
            log.info("stopping")
    return 0
