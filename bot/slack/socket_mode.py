"""Socket Mode that keeps acking while Slack refreshes the connection.

Slack asks every app to reconnect every few hours (a `disconnect` message with `refresh_requested`).
Measured with `bench/socket_mode.py` against a local Socket Mode server:

- slack_sdk's built-in client blocks its message thread while it closes the old connection, so
  every ack after a refresh waited about 3 s, Slack's whole ack budget (`expired_trigger_id`).
- the `websocket-client` client acks in milliseconds, but it closes the old connection before the
  new one runs, and a single runner thread starts the new one only once the old `run_forever`
  notices, up to 10 s later: no connection at all in between.

So Rapport uses the `websocket-client` client with one change, make before break: each connection
runs on its own thread, the new one becomes current once Slack has opened it, and only then is the
old one closed. Acks always have an open connection, and envelopes still in flight on the old one
are acked on the new one.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import websocket
from slack_bolt import App
from slack_bolt.adapter.socket_mode.base_handler import BaseSocketModeHandler
from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
from slack_sdk import WebClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.websocket_client import SocketModeClient

log = logging.getLogger(__name__)

OPEN_TIMEOUT = 10.0  # seconds for Slack to accept a new connection


class MakeBeforeBreakClient(SocketModeClient):  # type: ignore[misc]
    """`websocket-client` Socket Mode, each connection on its own thread, replaced make-before-break."""

    def connect(self) -> None:
        old = self.current_session
        if self.wss_uri is None:
            self.wss_uri = self.issue_new_wss_url()
        opened = threading.Event()
        session = websocket.WebSocketApp(
            self.wss_uri,
            on_open=lambda ws: opened.set(),
            on_message=lambda ws, message: self.enqueue_message(message),
            on_error=lambda ws, error: log.warning("Socket Mode connection error: %s", type(error).__name__),
            on_close=lambda ws, *args: self._closed(ws),
        )
        thread = threading.Thread(target=self._run, args=(session,), name="socket-mode", daemon=True)
        thread.start()
        if not opened.wait(OPEN_TIMEOUT):
            session.close()
            raise ConnectionError(f"Slack did not open the Socket Mode connection within {OPEN_TIMEOUT:.0f}s")
        self.current_session = session
        self.auto_reconnect_enabled = self.default_auto_reconnect_enabled
        if not self.current_app_monitor_started:
            self.current_app_monitor_started = True
            self.current_app_monitor.start()
        if old is not None:
            old.close()
        log.info("Socket Mode connection open")

    def _run(self, session: websocket.WebSocketApp) -> None:
        try:
            session.run_forever(ping_interval=self.ping_interval)
        except Exception:
            log.exception("Socket Mode connection failed")
            session.close()

    def _closed(self, session: websocket.WebSocketApp) -> None:
        # Only the current connection's end calls for a new one; a replaced one was closed on purpose.
        if session is self.current_session and self.auto_reconnect_enabled and not self.closed:
            log.info("Socket Mode connection closed by Slack: reconnecting")
            self.connect_to_new_endpoint()

    def _run_current_session(self) -> None:
        """Each connection has its own thread (see `connect`), so the SDK's single runner has nothing to do."""


class SocketModeHandler(BaseSocketModeHandler):  # type: ignore[misc]
    """Bolt's Socket Mode adapter (as in slack_bolt.adapter.socket_mode.websocket_client) on our client."""

    def __init__(self, app: App, app_token: str, web_client: WebClient, concurrency: int = 10) -> None:
        self.app = app
        self.app_token = app_token
        self.client = MakeBeforeBreakClient(
            app_token=app_token, logger=app.logger, web_client=web_client, concurrency=concurrency
        )
        self.client.socket_mode_request_listeners.append(self.handle)

    def handle(self, client: Any, req: SocketModeRequest) -> None:
        start = time.time()
        send_response(client, req, run_bolt_app(self.app, req), start)
