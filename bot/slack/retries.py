"""Retries every Web API and response_url call gets: nothing lost to a rate limit, nothing posted twice.

slack_sdk's own retry handlers, configured for a bot that answers bursts:

- a rate limit (HTTP 429, `ratelimited`) is always safe to retry: Slack did nothing. slack_sdk's
  `RateLimitErrorRetryHandler` waits the `Retry-After` Slack sent (plus up to a second of jitter, so
  a burst does not come back at once), up to `RATE_LIMIT_RETRIES` times: a burst of mentions in one
  channel is posted a second or so apart instead of lost.
- a server error (500, 503) or a dropped connection may come after Slack has already posted the
  message, so those are retried only for calls that are safe to repeat (reads, updates, statuses).
  A refused connection never reached Slack, so it is retried for every call.
"""

from __future__ import annotations

import socket
from typing import Any
from urllib.error import URLError

from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler, RetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest

RATE_LIMIT_RETRIES = 8
SERVER_ERROR_RETRIES = 2
CONNECTION_RETRIES = 2

# Calls whose repetition changes nothing (or fails harmlessly: already_reacted, no_reaction).
IDEMPOTENT = frozenset(
    {
        "auth.test",
        "apps.connections.open",
        "conversations.info",
        "conversations.replies",
        "conversations.history",
        "users.info",
        "chat.update",
        "views.update",
        "views.publish",
        "reactions.add",
        "reactions.remove",
        "assistant.threads.setStatus",
        "assistant.threads.setSuggestedPrompts",
    }
)


def method_of(request: HttpRequest) -> str:
    """The Web API method a request calls (the last path segment of its URL)."""
    return request.url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def never_sent(error: Exception | None) -> bool:
    """A connection refused or a name that does not resolve: the request cannot have reached Slack."""
    reason = error.reason if isinstance(error, URLError) else error
    return isinstance(reason, ConnectionRefusedError | socket.gaierror)


class SafeConnectionErrorRetryHandler(ConnectionErrorRetryHandler):  # type: ignore[misc]
    def _can_retry(self, *, request: HttpRequest, error: Exception | None = None, **kw: Any) -> bool:
        if not super()._can_retry(request=request, error=error, **kw):
            return False
        return method_of(request) in IDEMPOTENT or never_sent(error)


class IdempotentServerErrorRetryHandler(ServerErrorRetryHandler):  # type: ignore[misc]
    def _can_retry(self, *, request: HttpRequest, **kw: Any) -> bool:
        return bool(super()._can_retry(request=request, **kw)) and method_of(request) in IDEMPOTENT


def web_api_retries() -> list[RetryHandler]:
    """For every WebClient (fresh instances: handlers keep no state, but lists are mutable)."""
    return [
        SafeConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
        RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        IdempotentServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES),
    ]


def webhook_retries() -> list[RetryHandler]:
    """response_url posts add a message, so only rate limits and refused connections are retried."""
    return [
        SafeConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
        RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
    ]
