"""A fake OpenAI-compatible server on 127.0.0.1 that the real `openai` client talks to.

It answers `POST /v1/chat/completions` (and `/chat/completions`) with scripted
replies, in order, and records every request so tests can assert what the
model was and was not shown. Scripts cover good JSON, malformed JSON, refusals,
empty answers, slow answers (timeouts), 429 with Retry-After, and 500s. When
the script runs out the server answers 500, so an unexpected call is obvious.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

PATHS = ("/v1/chat/completions", "/chat/completions")


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # a dict is sent as JSON, a str as it is
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    def content(self, role: str | None = None) -> str:
        """Every message's text (of one role, if given), joined: what the model was shown."""
        return "\n".join(str(m.get("content", "")) for m in self.messages if role in (None, m.get("role")))


# -- scripted replies -----------------------------------------------------------------


def draft(text: str, channel: str = "email", sources: Iterable[str] = ()) -> dict[str, Any]:
    return {"channel": channel, "text": text, "sources": list(sources)}


def completion(
    content: str | None,
    *,
    refusal: str | None = None,
    finish_reason: str = "stop",
    prompt_tokens: int = 321,
    completion_tokens: int = 54,
) -> Reply:
    message = {"role": "assistant", "content": content, "refusal": refusal}
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_790_000_000,
        "model": "fake-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
    return Reply(body=body)


def drafts(*items: dict[str, Any], **usage: int) -> Reply:
    return completion(json.dumps({"drafts": list(items)}), **usage)


def malformed() -> Reply:
    return completion('{"drafts": [{"channel": "email", "text": "Hi Jane, we')


def partial() -> Reply:
    return completion(json.dumps({"drafts": [{"text": "Hi Jane, sorry about the wait."}]}))


def refusal() -> Reply:
    return completion(None, refusal="I'm sorry, I can't help with that.")


def empty() -> Reply:
    return completion("")


def error(status: int, retry_after: str | None = None) -> Reply:
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    body = {"error": {"message": f"scripted {status}", "type": "server_error", "code": None}}
    return Reply(status=status, body=body, headers=headers)


def slow(seconds: float, then: Reply | None = None) -> Reply:
    reply = then or drafts(draft("Hi Jane, this answer came too late."))
    return Reply(status=reply.status, body=reply.body, headers=reply.headers, delay=seconds)


# -- the server -----------------------------------------------------------------------


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-openai", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def script(self, *replies: Reply) -> FakeOpenAI:
        with self._lock:
            self._script.extend(replies)
        return self

    @property
    def last(self) -> Request:
        with self._lock:
            return self.requests[-1]

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping out a scripted delay
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _next(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            return self._script.popleft() if self._script else error(500)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                if self.path.split("?", 1)[0] not in PATHS:
                    self._send(Reply(status=404, body={"error": {"message": "not found"}}))
                    return
                body = json.loads(raw or b"{}")
                reply = fake._next(Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                if reply.delay and fake._stopping.wait(reply.delay):
                    return
                self._send(reply)

            def _send(self, reply: Reply) -> None:
                data = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
                payload = data.encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
