"""A fake Slack on 127.0.0.1, in the style of slack-bolt's own tests, and the bot wired to it.

`FakeSlack` plays the Web API (`WebClient(base_url=fake.api_url)`) and the
response_url hooks: it records every call and answers like Slack. Tests send
signed requests (tests/slack_requests.py) to the real app and assert on what reached the fake.

Failures are Slack's own shapes, checked against python-slack-sdk's mock servers
(tests/slack_sdk/web/mock_web_api_handler.py): a rate limit is HTTP 429 with a
`Retry-After` header and `{"ok": false, "error": "ratelimited"}`; an API error is
HTTP 200 with `{"ok": false, "error": CODE}`; a server error is a 5xx; an expired
response_url is a 404 whose body is the reason.
"""

from __future__ import annotations

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

from slack_bolt import App, BoltResponse

from bot.core.drafting import Drafter
from bot.index.embedding import MiniLMEmbedding
from bot.index.indexer import Index
from bot.services.ask import Assistant
from bot.services.container import Services
from bot.services.knowledge import Knowledge
from bot.slack.app import build_app, worker_pool
from bot.slack.runtime import Runtime
from tests.conftest import SAMPLE, make_settings
from tests.fake_slack_methods import BOT_ID, BOT_USER_ID, TEAM_ID, Fault, Limiter, SlackMethods
from tests.slack_requests import SIGNING_SECRET, dispatch

__all__ = ["BOT_ID", "BOT_TOKEN", "BOT_USER_ID", "SIGNING_SECRET", "TEAM_ID", "Bot", "Call", "FakeSlack", "running_bot"]

BOT_TOKEN = "xoxb-test-1234567890-SECRETTOKEN"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None = None
    at: float = field(default_factory=time.monotonic)
    status: int = 200  # the HTTP status the fake answered with
    ok: bool = True  # what `ok` said (a 429 or an API error: False)
    response: dict[str, Any] = field(default_factory=dict)  # what the fake answered


class FakeSlack(SlackMethods):
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
        self.streams: dict[str, str] = {}  # ts -> all the markdown streamed into that message
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
