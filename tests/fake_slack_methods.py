"""What the fake Slack answers per Web API method, and how it fails: shapes checked against Slack's docs
and python-slack-sdk's mock servers. FakeSlack (tests/fake_slack.py) records the calls."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T0001"


@dataclass
class Fault:
    """The next `times` calls to a method fail this way."""

    times: int
    status: int = 200
    error: str = ""
    retry_after: int | None = None


@dataclass
class Limiter:
    """Slack's chat.postMessage limit: about one message per second per channel, short bursts allowed.

    A token bucket per (method, channel): `burst` calls at once, then one every `every` seconds; a call
    over the limit gets a 429 whose Retry-After is the whole seconds until the next token (at least 1).
    """

    burst: int
    every: float
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # key -> (tokens, last refill)

    def take(self, key: str, now: float) -> int | None:
        tokens, last = self.buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) / self.every)
        if tokens >= 1:
            self.buckets[key] = (tokens - 1, now)
            return None
        self.buckets[key] = (tokens, now)
        return max(1, int((1 - tokens) * self.every + 0.999))


def default_user(user_id: str) -> dict[str, Any]:
    name = {"USTAFF": "Sam Lee", "UADMIN": "Ada Admin"}.get(user_id, f"Person {user_id}")
    return {
        "id": user_id,
        "team_id": TEAM_ID,
        "name": name.split()[0].lower(),
        "real_name": name,
        "profile": {"real_name": name, "display_name": name.split()[0], "email": f"{user_id.lower()}@northwind.test"},
    }


class SlackMethods:
    """Slack's answers; the state they read lives on FakeSlack."""

    _cond: threading.Condition
    messages: dict[str, dict[str, Any]]
    streams: dict[str, str]
    shared_channels: set[str]
    threads: dict[str, list[dict[str, Any]]]
    users: dict[str, dict[str, Any]]
    socket_url: Callable[[], str] | None

    def _next_ts(self) -> str:
        raise NotImplementedError

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://northwind.slack.com/",
            "team": "Northwind",
            "user": "rapport",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        # Only an app-level token may open a connection (Slack: not_allowed_token_type otherwise).
        if not (token or "").startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        if self.socket_url is None:
            return {"ok": False, "error": "internal_error"}
        return {"ok": True, "url": self.socket_url()}

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = self._next_ts()
        message = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "ts": ts, **args}
        with self._cond:
            self.messages[ts] = message
        return {"ok": True, "channel": args.get("channel"), "ts": ts, "message": message}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = str(args.get("ts"))
        with self._cond:
            if ts not in self.messages:
                return {"ok": False, "error": "message_not_found"}
            self.messages[ts] = {**self.messages[ts], **args}
            message = self.messages[ts]
        return {"ok": True, "channel": args.get("channel"), "ts": ts, "text": args.get("text", ""), "message": message}

    def _chat_startStream(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = self._next_ts()
        text = "".join(c.get("text", "") for c in args.get("chunks") or []) + str(args.get("markdown_text") or "")
        with self._cond:
            self.messages[ts] = {"type": "message", "bot_id": BOT_ID, "ts": ts, "streaming": True, "text": text}
            self.streams[ts] = text
        return {"ok": True, "channel": args.get("channel"), "ts": ts}

    def _chat_appendStream(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = str(args.get("ts"))
        text = "".join(c.get("text", "") for c in args.get("chunks") or []) + str(args.get("markdown_text") or "")
        with self._cond:
            if not self.messages.get(ts, {}).get("streaming"):
                return {"ok": False, "error": "message_not_in_streaming_state"}
            self.messages[ts]["text"] += text
            self.streams[ts] += text
        return {"ok": True, "channel": args.get("channel"), "ts": ts}

    def _chat_stopStream(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = str(args.get("ts"))
        with self._cond:
            if not self.messages.get(ts, {}).get("streaming"):
                return {"ok": False, "error": "message_not_in_streaming_state"}
            message = self.messages[ts]
            tail = "".join(c.get("text", "") for c in args.get("chunks") or [])
            message["text"] += tail
            self.streams[ts] += tail
            message["streaming"] = False
            if args.get("blocks"):
                message["blocks"] = args["blocks"]
        return {"ok": True, "channel": args.get("channel"), "ts": ts, "message": dict(message)}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": self._next_ts()}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel"))
        shared = channel in self.shared_channels
        info = {"id": channel, "is_channel": True, "is_ext_shared": shared, "is_shared": shared, "is_org_shared": False}
        return {"ok": True, "channel": {**info, "is_im": channel.startswith("D")}}

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "messages": self.threads.get(str(args.get("ts")), []), "has_more": False}

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        # Newest first, like Slack; a DM's history is kept under its channel id.
        messages = list(reversed(self.threads.get(str(args.get("channel")), [])))
        return {"ok": True, "messages": messages[: int(args.get("limit") or 100)], "has_more": False}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(args.get("user"))
        return {"ok": True, "user": self.users.get(user_id) or default_user(user_id)}

    def _view(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view") or {}
        view = json.loads(view) if isinstance(view, str) else view
        return {"ok": True, "view": {"id": args.get("view_id") or "V0FAKE", **view}}

    _views_open = _views_update = _views_publish = _view
