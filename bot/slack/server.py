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
import threading
from contextlib import ExitStack
from wsgiref.simple_server import WSGIServer

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot import heap
from bot.config import Settings
from bot.index.indexer import IndexBusy
from bot.index.model_files import model_present
from bot.knowledge.files import require_root
from bot.logs import install_log_policy
from bot.services import ask_door
from bot.services.container import Services, build_services
from bot.services.health import Health
from bot.services.knowledge import FOLLOW_INTERVAL, Knowledge
from bot.services.watcher import KnowledgeWatcher
from bot.slack.app import MissingSetting, build_app, secret, web_client
from bot.slack.gateway import WSGIApp
from bot.slack.http_door import EVENTS_PATH, STARTING, EarlyServer, door_app, listen
from bot.slack.runtime import Runtime
from bot.slack.socket_mode import SocketModeHandler
from bot.slack.startup import check_settings
from bot.slack.weekly import start_weekly
from bot.slack.workers import AnswerPool, use_answer_processes

log = logging.getLogger(__name__)

WHY = {
    "SLACK_BOT_TOKEN": "the bot token (xoxb-...) from OAuth & Permissions",
    "SLACK_APP_TOKEN": "Socket Mode needs the app-level token (xapp-...) with connections:write "
    "(or run `rapport serve --http` with SLACK_SIGNING_SECRET)",
    "SLACK_SIGNING_SECRET": "HTTP mode needs it to verify requests from Slack (Basic Information > Signing Secret)",
}


def wsgi_app(app: App, signing_secret: str, health: Health | None = None) -> WSGIApp:
    return door_app(SlackRequestHandler(app, path=EVENTS_PATH), signing_secret, health)  # type: ignore[arg-type]


def make_http_server(
    app: App, host: str, port: int, *, signing_secret: str, health: Health | None = None
) -> WSGIServer:
    return listen(host, port, wsgi_app(app, signing_secret, health))


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
    stack.enter_context(ask_door.listening(rt.services, rt.settings))  # `rapport ask` answered here


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


def serve(
    settings: Settings,
    *,
    http: bool = False,
    port: int = 3000,
    host: str = "127.0.0.1",
    early: EarlyServer | None = None,
) -> int:
    """`early`: with --http, the server `rapport serve` opened before importing this module
    (http_door.py); it acks Slack events while the app is built here, and the app then takes over."""
    with ExitStack() as stack:
        if early is not None:
            stack.callback(early.stop)
        return _serve(settings, stack, http=http, port=port, host=host, early=early)


def _serve(settings: Settings, stack: ExitStack, *, http: bool, port: int, host: str, early: EarlyServer | None) -> int:
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
    # With answer processes this process only acks: it needs neither the model client nor the
    # index (whose embedding model imports chromadb), so it opens the port about 2 s sooner.
    front_only = bool(settings.rapport_answer_processes)
    services = build_services(settings, answers=not front_only, health=early.health if early else None)
    rt = Runtime.create(services)
    app = build_app(rt)
    # With answer processes, the first of them owns the index and posts the weekly digest; this
    # process only acks, so it serves Slack at once, while the folder loads.
    if answer_pool(settings, services, app, stack) is None:
        own_index(rt, stack)
        threading.Thread(target=services.knowledge.warm_up, name="warm-up", daemon=True).start()
    heap.settle()  # what start-up built (the app, the model session's Python side) stays out of full collections
    try:
        if http and early is not None:
            early.late.ready(SlackRequestHandler(app, path=EVENTS_PATH))  # type: ignore[arg-type]
            services.health.report(STARTING, True)
            log.info("Rapport is serving on http://%s:%d%s", host, port, EVENTS_PATH)
            threading.Event().wait()  # the early server's thread serves; SIGTERM or Ctrl-C ends this
        elif http:
            server = make_http_server(
                app, host, port, signing_secret=tokens["slack_signing_secret"], health=services.health
            )
            stack.callback(server.server_close)
            log.info("Rapport is listening on http://%s:%d%s", host, port, EVENTS_PATH)
            server.serve_forever()
        else:
            handler = SocketModeHandler(app, tokens["slack_app_token"], web_client(settings))
            log.info("Rapport is connecting to Slack (Socket Mode)")
            handler.start()  # type: ignore[no-untyped-call]
    except KeyboardInterrupt:
        log.info("stopping")
    return 0
