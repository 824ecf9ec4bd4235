"""A fake Slack on 127.0.0.1, in the style of slack-bolt's own tests, and helpers to sign requests.

`FakeSlack` plays the Web API (`WebClient(base_url=fake.api_url)`) and the
response_url hooks: it records every call and answers like Slack. Tests send
signed requests to the real app and assert on what reached the fake.

Failures are Slack's own shapes, checked against python-slack-sdk's mock servers
(tests/slack_sdk/web/mock_web_api_handler.py): a rate limit is HTTP 429 with a
`Retry-After` header and `{"ok": false, "error": "ratelimited"}`; an API error is
HTTP 200 with `{"ok": false, "error": CODE}`; a server error is a 5xx; an expired
response_url is a 404 whose body is the reason.
"""

from __future__ import annotations

import copy
import json
import shutil
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.core.drafting import Drafter
from bot.index.embedding import MiniLMEmbedding
from bot.index.indexer import Index
from bot.services.ask import Assistant
from bot.services.container import Services
from bot.services.knowledge import Knowledge
from bot.slack.app import build_app, worker_pool
from bot.slack.runtime import Runtime
from tests.conftest import SAMPLE, make_settings

PAYLOADS = Path(__file__).parent / "slack_payloads"
SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-1234567890-SECRETTOKEN"
TEAM_ID = "T0001"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
HOOKS = "https://hooks.slack.com/"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None = None
    at: float = field(default_factory=time.monotonic)
    status: int = 200  # the HTTP status the fake answered with
    ok: bool = True  # what `ok` said (a 429 or an API error: False)
    response: dict[str, Any] = field(default_factory=dict)  # what the fake answered


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


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.shared_channels: set[str] = set()  # conversations.info says is_ext_shared
        self.threads: dict[str, list[dict[str, Any]]] = {}  # thread_ts -> messages
        self.users: dict[str, dict[str, Any]] = {}
        self.errors: dict[str, str] = {}  # method -> Slack error code
        self.faults: dict[str, list[Fault]] = {}  # method -> the next failures, in order
        self.limits: dict[str, Limiter] = {}  # method -> a per-channel rate limit
        self.token_errors: dict[str, str] = {}  # token -> the error every call with it gets
        self.hook_status: tuple[int, str] | None = None  # response_url answers: (status, body)
        self.socket_url: Callable[[], str] | None = None  # apps.connections.open hands this out
        self.messages: dict[str, dict[str, Any]] = {}  # ts -> the message as posted, then updated
        self._cond = threading.Condition()
        self._ts = 1763800000.0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    @property
    def api_url(self) -> str:
        return self.base + "api/"

    # -- assertions -------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        """Every call to a method, refused ones included (see `delivered`)."""
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def delivered(self, method: str) -> list[Call]:
        """The calls Slack accepted: HTTP 200 and ok."""
        with self._cond:
            return [c for c in self.calls if c.method == method and c.status == 200 and c.ok]

    def fail(
        self, method: str, times: int = 1, *, status: int = 200, error: str = "", retry_after: int | None = None
    ) -> None:
        """The next `times` calls to `method` fail; `fail(m, status=429, retry_after=1)` is a rate limit."""
        if status == 429 and not error:
            error = "ratelimited"
        with self._cond:
            self.faults.setdefault(method, []).append(Fault(times, status, error, retry_after))

    def limit(self, method: str, burst: int, every: float = 1.0) -> None:
        """Rate-limit `method` per channel like Slack: `burst` at once, then one per `every` seconds."""
        with self._cond:
            self.limits[method] = Limiter(burst, every)

    def methods(self, ignore: tuple[str, ...] = ("auth.test",)) -> list[str]:
        """Methods called so far, in order (auth.test, the one-off identity check, left out)."""
        with self._cond:
            return [c.method for c in self.calls if c.method not in ignore]

    def wait_for(self, method: str, count: int = 1, timeout: float = 30, delivered: bool = False) -> list[Call]:
        """The calls to `method` once there are `count` of them (with `delivered`, only accepted ones)."""
        deadline = time.monotonic() + timeout

        def matching() -> list[Call]:
            return [c for c in self.calls if c.method == method and (not delivered or (c.status == 200 and c.ok))]

        with self._cond:
            while len(matching()) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self.calls]
                    raise AssertionError(f"expected {count} x {method} within {timeout}s; saw {seen}")
                self._cond.wait(left)
            return matching()

    def reset(self) -> None:
        with self._cond:
            self.calls.clear()

    # -- answers ----------------------------------------------------------------------

    def _next_ts(self) -> str:
        self._ts += 0.0001
        return f"{self._ts:.6f}"

    def refusal(self, method: str, args: dict[str, Any], token: str | None) -> tuple[int, dict[str, str], Any] | None:
        """A failure this call gets instead of an answer: (status, headers, body), or None."""
        with self._cond:
            queue = self.faults.get(method) or []
            if queue:
                fault = queue[0]
                fault.times -= 1
                if fault.times <= 0:
                    queue.pop(0)
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                body: Any = {"ok": False, "error": fault.error} if fault.error else "Server Error"
                return fault.status, headers, body
            limiter = self.limits.get(method)
            wait = limiter.take(str(args.get("channel")), time.monotonic()) if limiter else None
            if wait is not None:
                return 429, {"Retry-After": str(wait)}, {"ok": False, "error": "ratelimited"}
        if token is not None and token in self.token_errors:
            return 200, {}, {"ok": False, "error": self.token_errors[token]}
        return None

    def answer(self, method: str, args: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        if method in self.errors:
            return {"ok": False, "error": self.errors[method]}
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": True}
        if method == "apps.connections.open":
            return handler(args, token)  # type: ignore[no-any-return]
        return handler(args)  # type: ignore[no-any-return]

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
        return {"ok": True, "channel": args.get("channel"), "ts": ts}

    def _chat_appendStream(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = str(args.get("ts"))
        text = "".join(c.get("text", "") for c in args.get("chunks") or []) + str(args.get("markdown_text") or "")
        with self._cond:
            if not self.messages.get(ts, {}).get("streaming"):
                return {"ok": False, "error": "message_not_in_streaming_state"}
            self.messages[ts]["text"] += text
        return {"ok": True, "channel": args.get("channel"), "ts": ts}

    def _chat_stopStream(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = str(args.get("ts"))
        with self._cond:
            if not self.messages.get(ts, {}).get("streaming"):
                return {"ok": False, "error": "message_not_in_streaming_state"}
            message = self.messages[ts]
            message["text"] += "".join(c.get("text", "") for c in args.get("chunks") or [])
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

    # -- HTTP -------------------------------------------------------------------------

    def record(
        self,
        method: str,
        args: dict[str, Any],
        token: str | None,
        status: int = 200,
        ok: bool = True,
        response: dict[str, Any] | None = None,
    ) -> None:
        with self._cond:
            self.calls.append(Call(method, args, token, status=status, ok=ok, response=response or {}))
            self._cond.notify_all()

    def message(self, call: Call) -> dict[str, Any]:
        """The message a chat.postMessage call posted, as it is now (after any chat.update)."""
        with self._cond:
            return dict(self.messages[str(call.response["ts"])])

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self.do_POST()

            def do_POST(self) -> None:
                path, _, query = self.path.partition("?")
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8") if length else ""
                args = parse_args(query, raw, self.headers.get("Content-Type") or "")
                auth = self.headers.get("Authorization") or ""
                token = auth.removeprefix("Bearer ") or None
                if path.startswith("/hooks/"):
                    status, body = fake.hook_status or (200, "ok")
                    fake.record("response_url", {**args, "_path": path}, token, status, status == 200)
                    self.reply(status, body, "text/plain")
                    return
                method = path.removeprefix("/api/")
                refused = fake.refusal(method, args, token)
                if refused is not None:
                    status, headers, body = refused
                    ok = False
                    text = json.dumps(body) if isinstance(body, dict) else str(body)
                    fake.record(method, args, token, status, ok)
                    kind = "application/json" if isinstance(body, dict) else "text/html"
                    self.reply(status, text, kind, headers)
                    return
                answer = fake.answer(method, args, token)
                fake.record(method, args, token, 200, bool(answer.get("ok")), answer)
                self.reply(200, json.dumps(answer), "application/json")

            def reply(self, status: int, body: str, content_type: str, headers: dict[str, str] | None = None) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler


def parse_args(query: str, raw: str, content_type: str) -> dict[str, Any]:
    args: dict[str, Any] = dict(urllib.parse.parse_qsl(query))
    if "json" in content_type and raw:
        args.update(json.loads(raw))
    elif raw:
        args.update(urllib.parse.parse_qsl(raw))
    for key in ("blocks", "view", "chunks", "prompts", "attachments"):
        if isinstance(args.get(key), str) and args[key].startswith(("[", "{")):
            args[key] = json.loads(args[key])
    return args


# -- payloads and signed requests -------------------------------------------------------


def load(name: str, fake: FakeSlack | None = None, **changes: Any) -> dict[str, Any]:
    """A fixture from tests/slack_payloads; response_urls are pointed at the fake."""
    text = (PAYLOADS / f"{name}.json").read_text(encoding="utf-8")
    if fake is not None:
        text = text.replace(HOOKS, fake.base + "hooks/")
    payload: dict[str, Any] = json.loads(text)
    payload.update(changes)
    return payload


def sign(body: str, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"x-slack-request-timestamp": ts, "x-slack-signature": str(signature)}


def event_body(payload: dict[str, Any]) -> tuple[str, str]:
    return json.dumps(payload), "application/json"


def command_body(form: dict[str, Any]) -> tuple[str, str]:
    return urllib.parse.urlencode(form), "application/x-www-form-urlencoded"


def interactive_body(payload: dict[str, Any]) -> tuple[str, str]:
    return urllib.parse.urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"


def body_for(payload: dict[str, Any]) -> tuple[str, str]:
    if payload.get("type") == "event_callback":
        return event_body(payload)
    if "command" in payload:
        return command_body(payload)
    return interactive_body(payload)


def signed_request(
    payload: dict[str, Any], timestamp: int | None = None, extra: dict[str, str] | None = None
) -> tuple[str, dict[str, str]]:
    body, content_type = body_for(payload)
    return body, {"content-type": content_type, **sign(body, timestamp), **(extra or {})}


def dispatch(
    app: App, payload: dict[str, Any], timestamp: int | None = None, extra: dict[str, str] | None = None
) -> BoltResponse:
    body, headers = signed_request(payload, timestamp, extra)
    return app.dispatch(BoltRequest(body=body, headers={k: [v] for k, v in headers.items()}))


def button_value(blocks: list[dict[str, Any]], action_id: str, index: int = 0) -> tuple[str, str]:
    """(block_id, value) of the index-th button with this action id in posted blocks."""
    found = [
        (b.get("block_id", ""), e["value"])
        for b in blocks
        if b.get("type") == "actions"
        for e in b.get("elements", [])
        if e.get("action_id") == action_id
    ]
    return found[index]


def click(
    template: dict[str, Any], blocks: list[dict[str, Any]], action_id: str, index: int = 0, **changes: Any
) -> dict[str, Any]:
    """A block_actions payload for clicking a button that the bot really posted."""
    payload = copy.deepcopy(template)
    block_id, value = button_value(blocks, action_id, index)
    payload["actions"] = [{**payload["actions"][0], "action_id": action_id, "block_id": block_id, "value": value}]
    payload.update(changes)
    return payload


def clicked_on(template: dict[str, Any], message: dict[str, Any], action: dict[str, Any]) -> dict[str, Any]:
    """A block_actions payload for an action on a message the bot posted (Slack sends the message back)."""
    payload = copy.deepcopy(template)
    payload["actions"] = [{"action_ts": "1763800500.123456", **action}]
    payload["message"] = {**payload.get("message", {}), **message}
    payload["container"] = {**payload["container"], "message_ts": message["ts"]}
    return payload


def elements_of(blocks: list[dict[str, Any]], kind: str, action_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(block_id, element) of every element of this type and action id, in order."""
    return [
        (b.get("block_id", ""), e)
        for b in blocks
        for e in b.get("elements", [])
        if isinstance(e, dict) and e.get("type") == kind and e.get("action_id") == action_id
    ]


def menu_choice(template: dict[str, Any], message: dict[str, Any], label: str, index: int = 0) -> dict[str, Any]:
    """Choosing `label` in the index-th draft's overflow menu, as Slack reports it."""
    block_id, menu = elements_of(message["blocks"], "overflow", "draft_menu")[index]
    option = next(o for o in menu["options"] if o["text"]["text"] == label)
    action = {"type": "overflow", "action_id": "draft_menu", "block_id": block_id, "selected_option": option}
    return clicked_on(template, message, action)


def feedback_choice(template: dict[str, Any], message: dict[str, Any], positive: bool, index: int = 0) -> dict[str, Any]:
    """Clicking 👍 or 👎 on the index-th draft (Slack's feedback_buttons element)."""
    block_id, element = elements_of(message["blocks"], "feedback_buttons", "draft_feedback")[index]
    button = element["positive_button" if positive else "negative_button"]
    action = {
        "type": "feedback_buttons",
        "action_id": "draft_feedback",
        "block_id": block_id,
        "value": button["value"],
        "text": button["text"],
    }
    return clicked_on(template, message, action)


def button_choice(template: dict[str, Any], message: dict[str, Any], action_id: str, index: int = 0) -> dict[str, Any]:
    block_id, button = elements_of(message["blocks"], "button", action_id)[index]
    action = {"type": "button", "action_id": action_id, "block_id": block_id, "value": button["value"]}
    return clicked_on(template, message, {**action, "text": button["text"]})


def eventually(check: Callable[[], bool], timeout: float = 10) -> None:
    """Wait for work a lazy listener finishes after its last Web API call (a feedback record, say)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout}s")
        time.sleep(0.02)


def all_text(blocks: list[dict[str, Any]]) -> str:
    """Every piece of text in some blocks, for `in` assertions."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    out.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return "\n".join(out)


# -- the bot under test -----------------------------------------------------------------

_SAMPLE_INDEX: list[Path] = []
_SAMPLE_LOCK = threading.Lock()


def sample_index(dest: Path, base: Path, embedder: MiniLMEmbedding) -> Path:
    """An index of the sample folder at `dest`: built once per test session, then copied (seconds saved)."""
    with _SAMPLE_LOCK:
        if not _SAMPLE_INDEX:
            built = base / "sample-index"
            index = Index(make_settings(SAMPLE, built), embedder)
            index.sync()
            index.close()
            _SAMPLE_INDEX.append(built)
    shutil.copytree(_SAMPLE_INDEX[0], dest)
    return dest


@dataclass
class Bot:
    fake: FakeSlack
    rt: Runtime
    app: App

    def send(self, payload: dict[str, Any], **kwargs: Any) -> BoltResponse:
        return dispatch(self.app, payload, **kwargs)


@contextmanager
def running_bot(
    knowledge: Path,
    index: Path,
    embedder: MiniLMEmbedding,
    drafter: Drafter | None = None,
    **settings: Any,
) -> Iterator[Bot]:
    """A fake Slack, the services on `knowledge` and `index`, and the app wired to both."""
    fake = FakeSlack().start()
    config = make_settings(
        knowledge,
        index,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake.api_url,
        **{"rapport_admins": ["UADMIN"], **settings},
    )
    kb = Knowledge(config, Index(config, embedder))
    rt = Runtime.create(Services(config, kb, Assistant(kb, drafter)))
    pool = worker_pool(config)
    try:
        yield Bot(fake, rt, build_app(rt, executor=pool))
    finally:
        pool.shutdown(wait=True)
        kb.index.close()
        fake.stop()
