"""The OpenAI client, the deadlines a call gets, and what a failed call means.

One client serves every OpenAI-compatible server: OpenAI itself, llama-cpp-python's server,
llama.cpp's `llama-server`, Ollama and vLLM. What differs between them is learnt from their
answers (bot/llm/call.py); what is the same lives here:

- Two deadlines per call: the first token must come within `OPENAI_FIRST_TOKEN_TIMEOUT` (the
  server is up and has read the prompt), the whole answer within `OPENAI_TIMEOUT`, retries
  included. A model on this machine or the local network (a loopback, private or single-label
  host in `OPENAI_BASE_URL`) gets longer defaults than a hosted one: a CPU reads a prompt slowly.
- Errors are sorted into what to do: retry within the budget (connection, 408/409/429, 5xx), change
  how the request is made (a server that refuses a response format or a parameter Rapport can do
  without), or give up and tell staff which setting to change (an unsupported parameter).
"""

from __future__ import annotations

import email.utils
import ipaddress
import math
import re
import time
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx2
import openai
from openai import OpenAI

from bot.config import Settings

CONNECT_TIMEOUT = 5.0  # a server that does not accept the connection in 5 s is not going to answer in time
MIN_ATTEMPT = 0.5  # seconds: not worth starting another attempt with less time left than this
BACKOFF = 0.5
OFFLINE = "these drafts were made offline."
HOSTED_DEADLINES = (10.0, 30.0)  # first token, whole answer
LOCAL_DEADLINES = (60.0, 180.0)  # a small model on a CPU: 10-25 s to read a prompt, a few tokens a second

# Which setting an admin changes when the server refuses a parameter Rapport sends.
SETTING_FOR = {
    "temperature": "unset OPENAI_TEMPERATURE",
    "max_tokens": "set OPENAI_MAX_TOKENS to a value the model accepts",
    "max_completion_tokens": "set OPENAI_MAX_TOKENS to a value the model accepts",
    "stream": "set OPENAI_STREAM=false",
    "response_format": "set OPENAI_STRUCTURED_OUTPUT=text",
    "model": "check OPENAI_MODEL",
}
UNSUPPORTED_RE = re.compile(
    r"unsupported (?:param(?:eter)?|value)|unrecognized request argument|not supported|not permitted"
    r"|extra (?:inputs|fields) are not permitted|unknown (?:field|param(?:eter)?)",
    re.I,
)
QUOTED_PARAM_RE = re.compile(r"""['"`]?\b([a-z_][a-z0-9_.]*)\b['"`]?""")


def build_client(settings: Settings) -> OpenAI:
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    total = deadlines(settings)[1]
    return OpenAI(
        api_key=key,
        base_url=settings.openai_base_url or None,
        timeout=httpx2.Timeout(total, connect=min(CONNECT_TIMEOUT, total)),
        max_retries=0,
    )


def is_local(base_url: str | None) -> bool:
    """A server on this machine or the local network (loopback, private address, single-label host)."""
    host = urlsplit(base_url or "").hostname or ""
    if not host:
        return False
    if host == "localhost" or "." not in host.strip("[]"):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host.endswith((".local", ".internal", ".lan"))
    return address.is_loopback or address.is_private or address.is_link_local


def deadlines(settings: Settings) -> tuple[float, float]:
    """(first token, whole answer) in seconds: the settings, else the defaults for where the model runs."""
    first, total = LOCAL_DEADLINES if is_local(settings.openai_base_url) else HOSTED_DEADLINES
    total = settings.openai_timeout or total
    first = settings.openai_first_token_timeout or min(first, total)
    return min(first, total), total


# -- what a failure means ---------------------------------------------------------------

Kind = Literal["format", "token_param", "stream_options", "unsupported", "transient", "fatal"]


@dataclass(frozen=True)
class Failure:
    kind: Kind
    param: str | None = None
    wait: float = 0.0  # transient: seconds to wait before trying again


def error_text(exc: openai.APIStatusError) -> tuple[str, str | None]:
    """The server's own message and the parameter it names, from any of the error shapes in use."""
    body: Any = exc.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    if isinstance(body, dict):
        param = body.get("param")
        return str(body.get("message") or exc.message), str(param) if param else None
    return str(body or exc.message), None


def classify(exc: Exception, attempt: int) -> Failure:
    if isinstance(exc, openai.APIStatusError):
        message, param = error_text(exc)
        lowered = f"{message} {param or ''}".lower()
        if exc.status_code in (400, 422, 500) and re.search(r"response_format|json_schema|json_object", lowered):
            return Failure("format", "response_format")
        if exc.status_code in (400, 422) and "max_completion_tokens" in lowered and "max_tokens" in lowered:
            return Failure("token_param", "max_tokens")
        if exc.status_code in (400, 422) and "stream_options" in lowered:
            return Failure("stream_options", "stream_options")
        if exc.status_code in (400, 422) and UNSUPPORTED_RE.search(message):
            return Failure("unsupported", param or named_param(message))
    wait = retry_wait(exc, attempt)
    return Failure("fatal") if wait is None else Failure("transient", wait=wait)


def named_param(message: str) -> str | None:
    """The parameter an "unsupported parameter: 'x'" message names, if it names one Rapport sends."""
    for m in QUOTED_PARAM_RE.finditer(message):
        if m.group(1) in SETTING_FOR:
            return m.group(1)
    return None


def unsupported_message(param: str | None) -> str:
    if param is None:
        return (
            "The language model server refused a parameter Rapport sends "
            f"(an admin should check OPENAI_BASE_URL and OPENAI_MODEL); {OFFLINE}"
        )
    fix = SETTING_FOR.get(param, "check OPENAI_BASE_URL and OPENAI_MODEL")
    return f"The language model server does not accept the parameter '{param}' (an admin should {fix}); {OFFLINE}"


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
