"""One model call: structured output on whatever server is at the other end, streamed, on a deadline.

Structured output, in order of preference: strict `json_schema`; `json_object` with the schema beside
it (llama-cpp-python turns that into a grammar, llama-server too); plain JSON in the text. Every mode
is validated by the same pydantic model afterwards. Which one the server takes is found out on the
first call, remembered for the process (per base URL and model) and logged. The same goes for the
token cap's name (`max_tokens` is the one every server honours; a model that refuses it gets
`max_completion_tokens`) and for `stream_options`.

The answer is streamed: the first token must arrive before the first-token deadline, the whole
answer before the total one, and an answer longer than the schema allows is cut off at once. The
stream is read on a helper thread so a deadline holds even while the server is silent (or only
sends keep-alive pings).
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx2
import openai
from openai import OpenAI

from bot.core.answer import Usage
from bot.core.drafting import DrafterUnavailable
from bot.llm.client import CONNECT_TIMEOUT, MIN_ATTEMPT, OFFLINE, classify, explain, unsupported_message

log = logging.getLogger(__name__)

Mode = Literal["json_schema", "json_object", "text"]
MODES: tuple[Mode, ...] = ("json_schema", "json_object", "text")
Stopped = Literal["too_long", "deadline"]


@dataclass
class Capabilities:
    """What one server and model accept, learnt from their answers."""

    mode: Mode = "json_schema"
    token_param: str = "max_tokens"
    stream_options: bool = True
    settled: bool = False  # a call has succeeded with these


class Registry:
    """Capabilities per (base URL, model), for the life of the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._known: dict[tuple[str, str], Capabilities] = {}

    def get(self, key: tuple[str, str], mode: Mode) -> Capabilities:
        with self._lock:
            return self._known.setdefault(key, Capabilities(mode=mode))

    def clear(self) -> None:
        with self._lock:
            self._known.clear()


REGISTRY = Registry()


@dataclass(frozen=True)
class Spec:
    """What to ask for: the messages, the answer's schema and its bounds."""

    messages: list[dict[str, str]]
    schema: dict[str, Any]
    schema_name: str
    max_tokens: int
    max_chars: int  # an answer longer than this cannot be valid: stop reading


@dataclass
class Outcome:
    content: str
    usage: Usage
    mode: Mode
    finish_reason: str | None = None
    refusal: str | None = None
    stopped: Stopped | None = None  # cut off by Rapport: longer than the schema allows, or out of time
    first_token: float | None = None  # seconds until the first token
    elapsed: float = 0.0
    attempts: int = 0


@dataclass
class Call:
    """A model call bounded by a first-token and a total deadline. Safe to share between threads."""

    client: OpenAI
    model: str
    base_url: str
    first_token_timeout: float
    total_timeout: float
    max_retries: int = 1
    forced_mode: Mode | None = None  # OPENAI_STRUCTURED_OUTPUT other than auto
    temperature: float | None = None
    stream: bool = True
    registry: Registry = field(default_factory=lambda: REGISTRY)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    @property
    def capabilities(self) -> Capabilities:
        return self.registry.get((self.base_url, self.model), self.forced_mode or "json_schema")

    def run(self, spec: Spec, on_text: Callable[[str], None] | None = None) -> Outcome:
        started = self.clock()
        deadline = started + self.total_timeout
        caps = self.capabilities
        attempts = retries = 0
        while True:
            attempts += 1
            try:
                outcome = self._attempt(spec, caps, deadline, on_text)
            except _Refused as refused:
                exc = refused.exc
                failure = classify(exc, retries)
                if self._adapt(caps, failure, exc):
                    continue
                if failure.kind == "unsupported":
                    log.warning("model call refused: unsupported parameter %s (%s)", failure.param, exc)
                    raise DrafterUnavailable(unsupported_message(failure.param)) from exc
                wait = failure.wait
                if (
                    failure.kind != "transient"
                    or retries >= self.max_retries
                    or self.clock() + wait + MIN_ATTEMPT > deadline
                ):
                    log.warning(
                        "model call failed: %s (status %s) after %d attempt(s); model=%s",
                        type(exc).__name__,
                        getattr(exc, "status_code", None),
                        attempts,
                        self.model,
                    )
                    raise DrafterUnavailable(explain(exc)) from exc
                retries += 1
                log.info("model call failed (%s); retrying in %.2f s", type(exc).__name__, wait)
                self.sleep(wait)
                continue
            if not caps.settled:
                caps.settled = True
                log.info(
                    "model server %s (%s) takes structured output as %s, token cap as %s",
                    self.base_url,
                    self.model,
                    caps.mode,
                    caps.token_param,
                )
            outcome.attempts, outcome.elapsed = attempts, self.clock() - started
            return outcome

    def _adapt(self, caps: Capabilities, failure: Any, exc: Exception) -> bool:
        """Change how the request is made after a refusal that says how; False when nothing can change.

        Whatever changes is logged again once a call succeeds with it (a different server may have taken
        the address the process learnt about)."""
        changed = self._change(caps, failure, exc)
        if changed:
            caps.settled = False
        return changed

    def _change(self, caps: Capabilities, failure: Any, exc: Exception) -> bool:
        if failure.kind == "format" and self.forced_mode is None and caps.mode != "text":
            before, caps.mode = caps.mode, MODES[MODES.index(caps.mode) + 1]
            log.warning(
                "model server %s refused response_format %s (%s); using %s", self.base_url, before, exc, caps.mode
            )
            return True
        if failure.kind == "token_param" and caps.token_param == "max_tokens":
            caps.token_param = "max_completion_tokens"
            log.warning("model %s refused max_tokens; using max_completion_tokens", self.model)
            return True
        if failure.kind == "stream_options" and caps.stream_options:
            caps.stream_options = False
            log.warning("model server %s refused stream_options; usage will be estimated", self.base_url)
            return True
        if failure.kind == "format" and self.forced_mode is not None:
            raise DrafterUnavailable(
                f"The language model server refused the response format {self.forced_mode} (an admin should set "
                f"OPENAI_STRUCTURED_OUTPUT=auto); {OFFLINE}"
            ) from exc
        return False

    def arguments(self, spec: Spec, caps: Capabilities) -> dict[str, Any]:
        args: dict[str, Any] = {"model": self.model, "messages": spec.messages, caps.token_param: spec.max_tokens}
        if self.temperature is not None:
            args["temperature"] = self.temperature
        if self.stream:
            args["stream"] = True
            if caps.stream_options:
                args["stream_options"] = {"include_usage": True}
        if caps.mode == "json_schema":
            args["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": spec.schema_name, "strict": True, "schema": spec.schema},
            }
        elif caps.mode == "json_object":
            args["response_format"] = {"type": "json_object", "schema": spec.schema}
        return args

    def _attempt(
        self, spec: Spec, caps: Capabilities, deadline: float, on_text: Callable[[str], None] | None
    ) -> Outcome:
        left = deadline - self.clock()
        if left <= 0:
            raise DrafterUnavailable(f"The language model timed out; {OFFLINE}")
        reader = _Reader(self.client, self.arguments(spec, caps), left)
        reader.start()
        got = _Collector(spec, caps.mode, on_text)
        first_deadline = min(deadline, self.clock() + self.first_token_timeout)
        try:
            while True:
                until = deadline if got.started else first_deadline
                try:
                    kind, item = reader.items.get(timeout=max(0.0, until - self.clock()))
                except queue.Empty:
                    if not got.started:
                        log.warning("model gave no first token within %.1f s", self.first_token_timeout)
                        raise DrafterUnavailable(
                            f"The language model did not start answering within {self.first_token_timeout:.0f} s "
                            f"(OPENAI_FIRST_TOKEN_TIMEOUT); {OFFLINE}"
                        ) from None
                    got.stopped = "deadline"
                    break
                if kind == "error":
                    if got.started or not isinstance(item, openai.APIStatusError | openai.APIConnectionError):
                        raise DrafterUnavailable(explain(item), usage=got.usage(spec)) from item
                    raise _Refused(item)
                if kind == "end":
                    break
                if got.take(item, self.clock() - (deadline - left)):
                    break  # longer than the schema allows
        finally:
            reader.stop()
        if not got.received:
            log.warning("model server answered 200 with nothing a chat completion (or its stream) carries")
            raise DrafterUnavailable(f"The language model's answer was empty or malformed; {OFFLINE}")
        return got.outcome(spec)


class _Refused(Exception):
    """The server answered the request with an error status, or the connection failed, before any token."""

    def __init__(self, exc: Exception) -> None:
        super().__init__(str(exc))
        self.exc = exc


class _Reader(threading.Thread):
    """Reads the stream (or the whole answer) into a queue, so the caller can wait with a deadline."""

    def __init__(self, client: OpenAI, args: dict[str, Any], timeout: float) -> None:
        super().__init__(name="model-stream", daemon=True)
        self.client, self.args, self.timeout = client, args, timeout
        self.items: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._stop = threading.Event()
        self._stream: Any = None

    def run(self) -> None:
        try:
            timeout = httpx2.Timeout(self.timeout, connect=min(CONNECT_TIMEOUT, self.timeout))
            answer = self.client.chat.completions.create(**self.args, timeout=timeout)
            if not self.args.get("stream"):
                self.items.put(("whole", answer))
                self.items.put(("end", None))
                return
            self._stream = answer
            for chunk in answer:
                if self._stop.is_set():
                    break
                self.items.put(("chunk", chunk))
            self.items.put(("end", None))
        except Exception as exc:
            self.items.put(("error", exc))
        finally:
            self._close()

    def stop(self) -> None:
        """Stop reading: the thread ends at its next chunk, or at its own read timeout."""
        self._stop.set()

    def _close(self) -> None:
        if self._stream is not None:
            try:
                self._stream.close()
            except Exception:  # closing a broken stream: nothing left to do
                log.debug("closing the model stream failed", exc_info=True)


class _Collector:
    """The answer as it arrives: text, refusal, finish reason, usage."""

    def __init__(self, spec: Spec, mode: Mode, on_text: Callable[[str], None] | None) -> None:
        self.mode = mode
        self.on_text = on_text
        self.parts: list[str] = []
        self.length = 0
        self.chunks = 0
        self.refusal: str | None = None
        self.finish: str | None = None
        self.reported: Usage | None = None
        self.started = False
        self.received = False  # any chunk at all (a stream of role and finish only is an empty answer)
        self.first_token: float | None = None
        self.stopped: Stopped | None = None
        self.spec = spec

    def take(self, item: Any, since_start: float) -> bool:
        """Add one chunk (or the whole answer); True when the answer is already too long to be valid."""
        self.received = True
        if item.usage is not None:
            u = item.usage
            self.reported = Usage(
                prompt_tokens=u.prompt_tokens, completion_tokens=u.completion_tokens, total_tokens=u.total_tokens
            )
        for choice in item.choices:
            delta = getattr(choice, "delta", None) or getattr(choice, "message", None)
            text = (delta.content or "") if delta is not None else ""
            refusal = getattr(delta, "refusal", None)
            thinking = (delta.model_extra or {}).get("reasoning_content") if delta is not None else None
            if text or refusal or thinking:
                if not self.started:
                    self.started, self.first_token = True, since_start
                self.chunks += 1
            if refusal:
                self.refusal = (self.refusal or "") + refusal
            if text:
                self.parts.append(text)
                self.length += len(text)
                if self.on_text is not None:
                    self.on_text("".join(self.parts))
            if choice.finish_reason:
                self.finish = choice.finish_reason
        if self.length > self.spec.max_chars:
            self.stopped = "too_long"
            return True
        return False

    def usage(self, spec: Spec) -> Usage:
        if self.reported is not None:
            return self.reported
        # The server sent no usage (llama-cpp-python never streams it): count what was sent and got.
        prompt = math.ceil(sum(len(m["content"]) for m in spec.messages) / 4)
        done = self.chunks
        return Usage(prompt_tokens=prompt, completion_tokens=done, total_tokens=prompt + done, estimated=True)

    def outcome(self, spec: Spec) -> Outcome:
        return Outcome(
            content="".join(self.parts),
            usage=self.usage(spec),
            mode=self.mode,
            finish_reason=self.finish,
            refusal=self.refusal,
            stopped=self.stopped,
            first_token=self.first_token,
        )
