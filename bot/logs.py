"""What Rapport's logs may hold, enforced on every handler.

Logs hold ids (Slack user, channel and event ids, draft ids, reference ids), codes, counts, timings
and error types. They never hold customer data (names, notes, histories, drafts, model prompts or
answers), request bodies or tokens, at any level, DEBUG included:

- the libraries that log whole payloads at DEBUG (slack_sdk logs every Web API body, so drafts;
  openai and httpx log prompts) are held at INFO whatever LOG_LEVEL says;
- Bolt's messages that quote a request body ("Unhandled request (...)", signature failures) are
  cut to their first words;
- pydantic's quotes of an invalid payload are dropped, Slack tokens are masked, and no line is
  longer than MAX_LINE characters.
"""

from __future__ import annotations

import logging
import re
import sys

from bot.slack.errors import redact

MAX_LINE = 1000
PAYLOAD_LOGGERS = ("slack_sdk", "slack_bolt", "openai", "httpx", "httpcore", "urllib3", "chromadb", "watchfiles")
BODY_MARKERS = ("Unhandled request (", "body: ", "request body", "for the request (")
# pydantic's validation errors quote the input (a whole Slack payload); the field names are enough.
INPUT_VALUE = re.compile(r"input_value=.*?(?=, input_type=|$)", re.MULTILINE)


class LogPolicy(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = redact(record.getMessage())
        if record.name.startswith("slack_bolt"):
            for marker in BODY_MARKERS:
                at = message.find(marker)
                if at >= 0:
                    message = message[:at] + "(request body not logged)"
        record.msg, record.args = _clean(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _clean(redact(record.exc_text))
        return True


def _clean(text: str) -> str:
    text = INPUT_VALUE.sub("input_value=(not logged)", text)
    return "\n".join(line if len(line) <= MAX_LINE else line[: MAX_LINE - 20] + " …[cut]" for line in text.split("\n"))


def install_log_policy(root: logging.Logger | None = None) -> None:
    """Hold the payload-logging libraries at INFO and filter every handler of the root logger."""
    for name in PAYLOAD_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)
    target = root or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, LogPolicy) for f in handler.filters):
            handler.addFilter(LogPolicy())


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    install_log_policy()
