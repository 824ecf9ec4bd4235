"""The OpenAI client, and one model call bounded in time.

`openai_timeout` is the budget for the whole call, retries included: a Slack
user is waiting. The SDK's own retries do not know about a deadline (it will
sleep out a 429's Retry-After of up to two minutes), so the client is built
with `max_retries=0` and the retries allowed by `openai_max_retries` happen
here, only when the wait and another attempt still fit in the budget.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

import httpx2
import openai
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam, ParsedChatCompletion
from pydantic import BaseModel, ValidationError

from bot.config import Settings
from bot.core.drafting import DrafterUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

CONNECT_TIMEOUT = 5.0  # a server that does not accept the connection in 5 s is not going to answer in time
MIN_ATTEMPT = 0.5  # seconds: not worth starting another attempt with less time left than this
BACKOFF = 0.5
OFFLINE = "these drafts were made offline."


def build_client(settings: Settings) -> OpenAI:
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    return OpenAI(
        api_key=key,
        base_url=settings.openai_base_url or None,
        timeout=httpx2.Timeout(settings.openai_timeout, connect=min(CONNECT_TIMEOUT, settings.openai_timeout)),
        max_retries=0,
    )


# A 200 whose body or content is not the JSON we asked for; the SDK raises these as they come.
MALFORMED = (
    ValidationError,
    json.JSONDecodeError,
    openai.LengthFinishReasonError,
    openai.ContentFilterFinishReasonError,
)


def explain(exc: Exception) -> str:
    """What a staff member is told (never the exception text itself)."""
    if isinstance(exc, openai.APITimeoutError):
        return f"The language model timed out; {OFFLINE}"
    if isinstance(exc, openai.APIConnectionError):
        return f"Rapport could not reach the language model; {OFFLINE}"
    if isinstance(exc, openai.RateLimitError):
        return f"The language model is over its rate limit right now; {OFFLINE}"
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return f"The language model turned down Rapport's key (an admin should check OPENAI_API_KEY); {OFFLINE}"
    if isinstance(exc, openai.NotFoundError):
        return f"The language model was not found (an admin should check OPENAI_MODEL and OPENAI_BASE_URL); {OFFLINE}"
    if isinstance(exc, openai.InternalServerError):
        return f"The language model service had an error; {OFFLINE}"
    if isinstance(exc, openai.APIStatusError):
        return f"The language model did not accept the request; {OFFLINE}"
    if isinstance(exc, MALFORMED):
        return f"The language model's answer was incomplete or malformed; {OFFLINE}"
    return f"The language model failed unexpectedly; {OFFLINE}"


def retry_after(headers: httpx2.Headers) -> float | None:
    """Seconds the server asked us to wait (`retry-after-ms`, `retry-after` in seconds or as a date)."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            value = float(raw) * scale
        except ValueError:
            parsed = email.utils.parsedate_tz(raw)
            if parsed is None:
                continue
            value = email.utils.mktime_tz(parsed) - time.time()
        return max(0.0, value) if math.isfinite(value) else None
    return None


def retry_wait(exc: Exception, attempt: int) -> float | None:
    """How long to wait before trying again, or None when trying again cannot help."""
    backoff = BACKOFF * 2**attempt
    if isinstance(exc, openai.APIConnectionError):  # timeouts included
        return 0.0 if isinstance(exc, openai.APITimeoutError) else backoff
    if isinstance(exc, openai.APIStatusError) and (exc.status_code in (408, 409, 429) or exc.status_code >= 500):
        asked = retry_after(exc.response.headers)
        return backoff if asked is None else asked
    return None


@dataclass
class BoundedCall:
    """One structured-output call that gives up, as a whole, within `budget` seconds."""

    client: OpenAI
    model: str
    budget: float
    max_retries: int
    max_tokens: int = 1200
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    attempts: int = field(default=0, init=False)

    def run(self, messages: Iterable[ChatCompletionMessageParam], schema: type[T]) -> ParsedChatCompletion[T]:
        deadline = self.clock() + self.budget
        sent = list(messages)
        self.attempts = 0
        while True:
            left = deadline - self.clock()
            self.attempts += 1
            try:
                return self.client.chat.completions.parse(
                    model=self.model,
                    messages=sent,
                    response_format=schema,
                    max_completion_tokens=self.max_tokens,
                    timeout=httpx2.Timeout(left, connect=min(CONNECT_TIMEOUT, left)),
                )
            except (openai.OpenAIError, *MALFORMED) as exc:
                wait = retry_wait(exc, self.attempts - 1)
                if wait is None or self.attempts > self.max_retries or self.clock() + wait + MIN_ATTEMPT > deadline:
                    self._log_failure(exc)
                    raise DrafterUnavailable(explain(exc)) from exc
                log.info("model call failed (%s); retrying in %.2f s", type(exc).__name__, wait)
                self.sleep(wait)

    def _log_failure(self, exc: Exception) -> None:
        status = exc.status_code if isinstance(exc, openai.APIStatusError) else None
        log.warning(
            "model call failed: %s (status %s) after %d attempt(s); model=%s",
            type(exc).__name__,
            status,
            self.attempts,
            self.model,
        )
