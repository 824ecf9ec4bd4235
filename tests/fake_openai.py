"""A fake OpenAI-compatible server on 127.0.0.1 that the real `openai` client talks to.

It answers `POST /v1/chat/completions` (and `/chat/completions`) with scripted replies, in order,
and records every request so tests can assert what the model was and was not shown. A scripted reply
is what the model writes (`content`), streamed as server-sent events when the request asks for a
stream, or a raw HTTP answer (errors, broken bodies). When the script runs out the server answers
500, so an unexpected call is obvious.

`family` makes it check requests as one real server family does (tests/fake_openai_families.py):
a request the real server refuses is refused the same way, before the script is consulted; the
token cap is applied only when sent in a form the family honours (one token is four characters
here); usage is streamed only when the family would.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from tests import fake_openai_families as families

PATHS = ("/v1/chat/completions", "/chat/completions")
CHARS_PER_TOKEN = 4
PING_EVERY = 0.2


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # a raw answer: a dict is sent as JSON, a str as it is (no content, no stream)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # before anything is sent (headers included)
    content: str | None = None  # what the model writes
    refusal: str | None = None
    finish_reason: str = "stop"
    first_token_delay: float = 0.0  # streamed: after the headers, before the first token
    token_delay: float = 0.0  # streamed: between chunks
    chunk_chars: int = 8
    prompt_tokens: int | None = None  # None: counted from the request
    completion_tokens: int | None = None


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    refused: int | None = None  # the status the family refused it with
    enforced_schema: dict[str, Any] | None = None

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    def content(self, role: str | None = None) -> str:
        """Every message's text (of one role, if given), joined: what the model was shown."""
        return "\n".join(str(m.get("content", "")) for m in self.messages if role in (None, m.get("role")))


# -- scripted replies -----------------------------------------------------------------

READING = {"intent": "reply", "purpose": "none", "customer_message": ""}


def draft(text: str, channel: str | None = None, sources: Iterable[str] = ()) -> dict[str, Any]:
    """One draft as the model writes it (`channel` is accepted for old scripts and not sent)."""
    return {"text": text, "sources": list(sources)}


def answer(*items: dict[str, Any], reading: dict[str, Any] | None = None) -> str:
    return json.dumps({"reading": reading or READING, "drafts": list(items)})


def completion(
    content: str | None,
    *,
    refusal: str | None = None,
    finish_reason: str = "stop",
    prompt_tokens: int | None = 321,
    completion_tokens: int | None = 54,
    **timing: float,
) -> Reply:
    return Reply(
        content=content,
        refusal=refusal,
        finish_reason=finish_reason,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        **timing,  # type: ignore[arg-type]
    )


def drafts(*items: dict[str, Any], reading: dict[str, Any] | None = None, **usage: Any) -> Reply:
    return completion(answer(*items, reading=reading), **usage)


def malformed() -> Reply:
    return completion(
        '{"reading": {"intent": "reply", "purpose": "none", "customer_message": ""}, "drafts": [{"text": "Hi Jane, we'
    )


def partial() -> Reply:
    return completion(json.dumps({"drafts": [{"text": "Hi Jane, sorry about the wait."}]}))


def refusal() -> Reply:
    return completion(None, refusal="I'm sorry, I can't help with that.")


def empty() -> Reply:
    return completion("")


def error(status: int, retry_after: str | None = None, message: str | None = None) -> Reply:
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    body = {"error": {"message": message or f"scripted {status}", "type": "server_error", "code": None}}
    return Reply(status=status, body=body, headers=headers)


def slow(seconds: float, then: Reply | None = None) -> Reply:
    reply = then or drafts(draft("Hi Jane, this answer came too late."))
    reply.delay = seconds
    return reply


# -- the server -----------------------------------------------------------------------


class FakeOpenAI:
    def __init__(self, family: str = "openai", reasoning: bool = False) -> None:
        families.check(family, {})  # an unknown family fails here, not inside a request
        self.family = family
        self.reasoning = reasoning  # openai: a reasoning model (max_completion_tokens only, temperature 1)
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

    def clear(self) -> list[Reply]:
        """Drop the replies not used yet (and return them)."""
        with self._lock:
            left = list(self._script)
            self._script.clear()
            return left

    @property
    def last(self) -> Request:
        with self._lock:
            return self.requests[-1]

    @property
    def answered(self) -> list[Request]:
        """The requests the family accepted (those a model saw)."""
        with self._lock:
            return [r for r in self.requests if r.refused is None]

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
            try:
                families.check(self.family, request.body, self.reasoning)
            except families.Refused as refused:
                request.refused = refused.status
                return Reply(status=refused.status, body=refused.body)
            request.enforced_schema = families.enforced_schema(self.family, request.body)
            return self._script.popleft() if self._script else error(500)

    def wait(self, seconds: float) -> bool:
        """Sleep; True when the server is stopping."""
        return self._stopping.wait(seconds) if seconds > 0 else self._stopping.is_set()

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
                if fake.wait(reply.delay):
                    return
                try:
                    if reply.body is not None or reply.status != 200:
                        self._send(reply)
                    elif body.get("stream"):
                        self._stream(reply, body)
                    else:
                        self._send(Reply(body=whole(reply, body, fake.family)))
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to answer

            def _send(self, reply: Reply) -> None:
                data = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
                payload = data.encode()
                self.send_response(reply.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def _stream(self, reply: Reply, body: dict[str, Any]) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                started = time.monotonic()
                while time.monotonic() - started < reply.first_token_delay:
                    if fake.wait(min(PING_EVERY, reply.first_token_delay - (time.monotonic() - started))):
                        return
                    if families.pings(fake.family):
                        self.wfile.write(b": ping - 2026-11-22 10:00:00\r\n\r\n")
                content, finish = capped(reply, body, fake.family)
                self._event(chunk({"role": "assistant", "content": ""}, None))
                pieces = [content[i : i + reply.chunk_chars] for i in range(0, len(content), reply.chunk_chars)]
                for piece in pieces:
                    if fake.wait(reply.token_delay):
                        return
                    self._event(chunk({"content": piece}, None))
                if reply.refusal:
                    self._event(chunk({"refusal": reply.refusal}, None))
                self._event(chunk({}, finish))
                if families.streams_usage(fake.family, body):
                    self._event({**chunk({}, None), "choices": [], "usage": usage(reply, body, content)})
                self.wfile.write(b"data: [DONE]\n\n")

            def _event(self, data: dict[str, Any]) -> None:
                self.wfile.write(f"data: {json.dumps(data)}\n\n".encode())

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def capped(reply: Reply, body: dict[str, Any], family: str) -> tuple[str, str]:
    """What the model gets to write before the cap the server applies (and why it stopped)."""
    content = reply.content or ""
    cap = families.token_cap(family, body)
    if cap is not None and math.ceil(len(content) / CHARS_PER_TOKEN) > cap:
        return content[: cap * CHARS_PER_TOKEN], "length"
    return content, reply.finish_reason


def usage(reply: Reply, body: dict[str, Any], content: str) -> dict[str, int]:
    prompt = reply.prompt_tokens
    if prompt is None:
        prompt = math.ceil(len(json.dumps(body.get("messages", []))) / CHARS_PER_TOKEN)
    done = reply.completion_tokens
    if done is None or len(content) < len(reply.content or ""):
        done = math.ceil(len(content) / CHARS_PER_TOKEN)
    return {"prompt_tokens": prompt, "completion_tokens": done, "total_tokens": prompt + done}


def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 1_790_000_000,
        "model": "fake-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
    }


def whole(reply: Reply, body: dict[str, Any], family: str) -> dict[str, Any]:
    content, finish = capped(reply, body, family)
    message = {"role": "assistant", "content": content if reply.content is not None else None}
    message["refusal"] = reply.refusal
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_790_000_000,
        "model": "fake-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": usage(reply, body, content),
    }
