"""Errors: the person gets a short message with a reference id; the log gets the traceback.

Never `str(exc)` to a user (it can hold paths, payloads or worse), and never a
token in the log: a filter on the log handlers masks anything token-shaped.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.error import URLError

from pydantic import ValidationError
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

TOKEN_RE = re.compile(r"\b(xox[abposer]|xapp)-[A-Za-z0-9-]{6,}")


def reference_id() -> str:
    return secrets.token_hex(4).upper()


def friendly(ref: str) -> str:
    return f"Sorry, something went wrong on my side and I couldn't finish that. Reference: `{ref}` (for your admin)."


NOT_IN_CHANNEL = (
    "I'm not a member of this channel, so I can't post or read there. "
    "Invite me with `/invite @Rapport`, then ask again."
)
SLACK_BUSY = "Slack didn't take my answer just now (it was busy or unreachable). Please try again in a minute."
MISSING_SCOPE = (
    "Rapport lacks a Slack permission it needs here ({needed}). An admin should reinstall the app from manifest.yml."
)


def slack_error(exc: BaseException) -> str | None:
    """Slack's error code, when the exception is a Web API error."""
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or exc.response.status_code)
    return None


def slack_trouble(exc: BaseException, ref: str) -> str | None:
    """What to tell a person when Slack refused or failed a call, or None when it was not Slack's doing."""
    if isinstance(exc, SlackApiError):
        error = exc.response.get("error")
        if error in ("not_in_channel", "channel_not_found"):
            return NOT_IN_CHANNEL
        if error == "missing_scope":
            return MISSING_SCOPE.format(needed=exc.response.get("needed") or "a scope")
        if error in ("ratelimited", "service_unavailable", "fatal_error", "internal_error", "request_timeout"):
            return f"{SLACK_BUSY} Reference: `{ref}`."
        if exc.response.status_code >= 500:
            return f"{SLACK_BUSY} Reference: `{ref}`."
        return None
    if isinstance(exc, URLError | OSError):
        return f"{SLACK_BUSY} Reference: `{ref}`."
    return None


def redact(text: str) -> str:
    return TOKEN_RE.sub(lambda m: f"{m.group(1)}-***", text)


class RedactTokens(logging.Filter):
    """Masks Slack tokens in messages and tracebacks before any handler writes them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_redaction(logger: logging.Logger | None = None) -> None:
    """Attach the filter to every handler of the root logger (records from all loggers pass them)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactTokens) for f in handler.filters):
            handler.addFilter(RedactTokens())


@contextmanager
def reported(tell: Callable[[str], None], what: str, **context: Any) -> Iterator[None]:
    """Run a listener's work: on an error, log it with context and tell the person briefly what happened.

    Slack's own refusals are named for what they are (not in the channel, busy, a missing permission);
    anything else is "something went wrong" with a reference id that finds the traceback in the log.
    """
    try:
        yield
    except Exception as exc:
        ref = reference_id()
        details = " ".join(f"{k}={v}" for k, v in context.items() if v is not None)
        code = slack_error(exc)
        log.exception("%s failed [ref %s] %s%s", what, ref, details, f" slack_error={code}" if code else "")
        try:
            tell(slack_trouble(exc, ref) or friendly(ref))
        except Exception:
            log.exception("could not tell the user about error %s", ref)


def log_listener_error(error: Exception, body: dict[str, Any], logger: logging.Logger) -> BoltResponse:
    """Bolt's global error handler (errors while acknowledging): never a 500 to Slack.

    A slash command gets the friendly message as its (private) ack; anything else a 200 with no
    body, since Slack would retry an event on a 5xx and shows interactions its own error.
    A payload that does not match our models is logged by field names only, never its values.
    """
    ref = reference_id()
    kind = body.get("type") or body.get("command") or "request"
    if isinstance(error, ValidationError):
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in error.errors(include_input=False)})
        logger.warning("unreadable %s payload [ref %s]: fields %s", str(kind)[:40], ref, ", ".join(fields)[:300])
    else:
        logger.error("listener failed [ref %s] on %s", ref, str(kind)[:40], exc_info=error)
    if body.get("command"):
        return BoltResponse(
            status=200,
            body=json.dumps({"response_type": "ephemeral", "text": friendly(ref)}),
            headers={"content-type": "application/json"},
        )
    return BoltResponse(status=200, body="")
