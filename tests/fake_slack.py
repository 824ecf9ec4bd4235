"""A fake Slack on 127.0.0.1, in the style of slack-bolt's own tests, and helpers to sign requests.

`FakeSlack` plays the Web API (`WebClient(base_url=fake.api_url)`) and the
response_url hooks: it records every call and answers like Slack. Tests send
signed requests to the real app and assert on what reached the fake.
"""

from __future__ import annotations

import copy
import json
import shutil
import threading
import time
import urllib.parse
from collections.abc import Iterator
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
        self.uploads: dict[str, bytes] = {}  # file id -> the bytes POSTed to its upload_url
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
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def methods(self, ignore: tuple[str, ...] = ("auth.test",)) -> list[str]:
        """Methods called so far, in order (auth.test, the one-off identity check, left out)."""
        with self._cond:
            return [c.method for c in self.calls if c.method not in ignore]

    def wait_for(self, method: str, count: int = 1, timeout: float = 30) -> list[Call]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len([c for c in self.calls if c.method == method]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self.calls]
                    raise AssertionError(f"expected {count} x {method} within {timeout}s; saw {seen}")
                self._cond.wait(left)
            return [c for c in self.calls if c.method == method]

    def reset(self) -> None:
        with self._cond:
            self.calls.clear()

    # -- answers ----------------------------------------------------------------------

    def _next_ts(self) -> str:
        self._ts += 0.0001
        return f"{self._ts:.6f}"

    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method in self.errors:
            return {"ok": False, "error": self.errors[method]}
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        return handler(args) if handler else {"ok": True}

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "team_id": TEAM_ID, "team": "Northwind"}

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = self._next_ts()
        message = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "ts": ts, **args}
        return {"ok": True, "channel": args.get("channel"), "ts": ts, "message": message}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": self._next_ts()}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel"))
        shared = channel in self.shared_channels
        info = {"id": channel, "is_channel": True, "is_ext_shared": shared, "is_shared": shared, "is_org_shared": False}
        return {"ok": True, "channel": {**info, "is_im": channel.startswith("D")}}

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "messages": self.threads.get(str(args.get("ts")), []), "has_more": False}

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = str(args.get("users") or "")
        return {"ok": True, "channel": {"id": "D" + users.split(",")[0].removeprefix("U"), "is_im": True}}

    # Files, as files_upload_v2 uses them: getUploadURLExternal gives an upload_url and a file id, the
    # bytes are POSTed there (answered "OK - <length>", as files.slack.com does), completeUploadExternal
    # shares the files. Reference: slack_sdk WebClient.files_upload_v2.

    def _files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("filename") or not str(args.get("length") or "").isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{len(self.uploads) + 1:08d}"
        self.uploads[file_id] = b""
        return {"ok": True, "upload_url": f"{self.base}upload/v1/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        files = json.loads(str(args.get("files") or "[]"))
        if not files or any(f.get("id") not in self.uploads or not self.uploads[f["id"]] for f in files):
            return {"ok": False, "error": "file_not_found"}
        shared = {"id": "", "title": "", "channels": [args.get("channel_id")] if args.get("channel_id") else []}
        return {"ok": True, "files": [{**shared, **f} for f in files]}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(args.get("user"))
        return {"ok": True, "user": self.users.get(user_id) or default_user(user_id)}

    def _view(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view") or {}
        view = json.loads(view) if isinstance(view, str) else view
        return {"ok": True, "view": {"id": args.get("view_id") or "V0FAKE", **view}}

    _views_open = _views_update = _views_publish = _view

    # -- HTTP -------------------------------------------------------------------------

    def record(self, method: str, args: dict[str, Any], token: str | None) -> None:
        with self._cond:
            self.calls.append(Call(method, args, token))
            self._cond.notify_all()

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
                data = self.rfile.read(length) if length else b""
                if path.startswith("/upload/v1/"):
                    file_id = path.rsplit("/", 1)[-1]
                    known = file_id in fake.uploads
                    if known:
                        fake.uploads[file_id] = data
                    fake.record("upload", {"file_id": file_id, "bytes": len(data)}, None)
                    self.reply(200 if known else 404, f"OK - {len(data)}", "text/plain")
                    return
                raw = data.decode("utf-8")
                args = parse_args(query, raw, self.headers.get("Content-Type") or "")
                auth = self.headers.get("Authorization") or ""
                token = auth.removeprefix("Bearer ") or None
                if path.startswith("/hooks/"):
                    fake.record("response_url", {**args, "_path": path}, token)
                    self.reply(200, "ok", "text/plain")
                    return
                method = path.removeprefix("/api/")
                fake.record(method, args, token)
                self.reply(200, json.dumps(fake.answer(method, args)), "application/json")

            def reply(self, status: int, body: str, content_type: str) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def parse_args(query: str, raw: str, content_type: str) -> dict[str, Any]:
    args: dict[str, Any] = dict(urllib.parse.parse_qsl(query))
    if "json" in content_type and raw:
        args.update(json.loads(raw))
    elif raw:
        args.update(urllib.parse.parse_qsl(raw))
    for key in ("blocks", "view"):
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
