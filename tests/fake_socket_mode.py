"""Slack's Socket Mode on 127.0.0.1, the way python-slack-sdk tests its own clients.

The fake Web API's `apps.connections.open` hands out this server's `ws://` URL. On every
connection the server says `hello`; tests push envelopes (`send`), wait for the app's acks
(`wait_ack`, matched on `envelope_id`) and ask the app to reconnect (`disconnect`) as Slack does
every few hours: a `disconnect` message with `refresh_requested`, the old connection kept open a
little while the app opens a new one. Message shapes follow Slack's docs and the SDK's own mock
server (tests/slack_sdk/socket_mode/mock_socket_mode_server.py).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

APP_ID = "A0RAPPORT01"


def hello(connections: int) -> str:
    return json.dumps(
        {
            "type": "hello",
            "num_connections": connections,
            "debug_info": {"host": "applink-fake-1", "build_number": 10, "approximate_connection_time": 18060},
            "connection_info": {"app_id": APP_ID},
        }
    )


def disconnect_message(reason: str) -> str:
    return json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake-1"}})


def events_api(payload: dict[str, Any], envelope_id: str | None = None) -> dict[str, Any]:
    return {
        "envelope_id": envelope_id or str(uuid.uuid4()),
        "payload": payload,
        "type": "events_api",
        "accepts_response_payload": False,
        "retry_attempt": 0,
        "retry_reason": "",
    }


def slash_command(payload: dict[str, Any], envelope_id: str | None = None) -> dict[str, Any]:
    return {
        "envelope_id": envelope_id or str(uuid.uuid4()),
        "payload": payload,
        "type": "slash_commands",
        "accepts_response_payload": True,
    }


def interactive(payload: dict[str, Any], envelope_id: str | None = None) -> dict[str, Any]:
    return {
        "envelope_id": envelope_id or str(uuid.uuid4()),
        "payload": payload,
        "type": "interactive",
        "accepts_response_payload": payload.get("type") == "view_submission",
    }


def envelope_for(payload: dict[str, Any]) -> dict[str, Any]:
    """The Socket Mode envelope Slack would wrap this HTTP payload in."""
    if payload.get("type") == "event_callback":
        return events_api(payload)
    if "command" in payload:
        return slash_command(payload)
    return interactive(payload)


@dataclass
class Ack:
    envelope_id: str
    payload: dict[str, Any] | None
    after: float  # seconds from sending the envelope to receiving its ack
    connection: int


@dataclass
class _Conn:
    number: int
    ws: ServerConnection
    retiring: bool = False


@dataclass
class FakeSocketMode:
    grace: float = 1.0  # how long a refreshed connection stays open once the new one is up
    acks: dict[str, Ack] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    opened: int = 0

    def __post_init__(self) -> None:
        self._conns: list[_Conn] = []
        self._sent: dict[str, float] = {}
        self._cond = threading.Condition()
        self._server: Server = serve(self._handle, "127.0.0.1", 0, compression=None, ping_interval=None)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> FakeSocketMode:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    @property
    def url(self) -> str:
        """A fresh URL per call, like the ticket Slack puts in each one."""
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link/?ticket={uuid.uuid4()}&app_id={APP_ID}"

    # -- what a test does -------------------------------------------------------------

    def send(self, envelope: dict[str, Any], *, on_retiring: bool = False) -> str:
        """Deliver an envelope on the newest open connection (or the one being refreshed); its envelope_id."""
        envelope_id = str(envelope["envelope_id"])
        conn = self._retiring() if on_retiring else None
        conn = conn or self.wait_connections(1)
        with self._cond:
            self._sent[envelope_id] = time.perf_counter()
        conn.ws.send(json.dumps(envelope))
        return envelope_id

    def _retiring(self) -> _Conn | None:
        with self._cond:
            return next((c for c in self._conns if c.retiring), None)

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the app to move to a new connection; the old one closes `grace` s after the new one opens."""
        conn = self.wait_connections(1)
        with self._cond:
            conn.retiring = True
            wanted = self.opened + 1
        conn.ws.send(disconnect_message(reason))

        def retire() -> None:
            with self._cond:
                self._cond.wait_for(lambda: self.opened >= wanted, timeout=30)
            time.sleep(self.grace)
            conn.ws.close()

        threading.Thread(target=retire, daemon=True).start()

    def wait_connections(self, count: int, timeout: float = 30) -> _Conn:
        """The newest usable connection, once `count` connections have been opened in all."""
        with self._cond:
            ok = self._cond.wait_for(
                lambda: self.opened >= count and any(not c.retiring for c in self._conns), timeout=timeout
            )
            if not ok:
                raise AssertionError(f"expected {count} Socket Mode connections within {timeout}s; saw {self.opened}")
            return [c for c in self._conns if not c.retiring][-1]

    def wait_ack(self, envelope_id: str, timeout: float = 30) -> Ack:
        with self._cond:
            if not self._cond.wait_for(lambda: envelope_id in self.acks, timeout=timeout):
                raise AssertionError(f"no ack for envelope {envelope_id} within {timeout}s")
            return self.acks[envelope_id]

    # -- the server -------------------------------------------------------------------

    def _handle(self, ws: ServerConnection) -> None:
        with self._cond:
            self.opened += 1
            conn = _Conn(self.opened, ws)
            self._conns.append(conn)
            live = sum(1 for c in self._conns if not c.retiring)
            self._cond.notify_all()
        try:
            ws.send(hello(live))
            for raw in ws:
                self._received(conn, raw)
        except ConnectionClosed:
            pass
        finally:
            with self._cond:
                self._conns.remove(conn)
                self._cond.notify_all()

    def _received(self, conn: _Conn, raw: str | bytes) -> None:
        at = time.perf_counter()
        try:
            message = json.loads(raw)
        except ValueError:
            return
        with self._cond:
            self.received.append(message)
            envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
            if envelope_id:
                sent = self._sent.get(envelope_id, at)
                self.acks[envelope_id] = Ack(envelope_id, message.get("payload"), at - sent, conn.number)
            self._cond.notify_all()
