"""The log policy (bot/logs.py): no payloads, no tokens, no long lines, whatever a library logs."""

from __future__ import annotations

import logging

import pytest
from pydantic import BaseModel, ValidationError

from bot.logs import MAX_LINE, install_log_policy


class Payload(BaseModel):
    user_id: str


@pytest.fixture
def captured() -> list[str]:
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    root = logging.getLogger("policy-test-root")
    root.handlers = [Keep()]
    install_log_policy(root)
    for name in ("slack_bolt.App", "bot.anything"):
        logger = logging.getLogger(name)
        logger.handlers, logger.propagate = [], False
        logger.addHandler(root.handlers[0])
    return lines


def test_bodies_tokens_and_long_lines_stay_out(captured: list[str]) -> None:
    bolt = logging.getLogger("slack_bolt.App")
    bolt.warning("Unhandled request ({'text': 'Jane Okafor is leaving us'})")
    bolt.info("Invalid request signature detected (signature: v0=1, timestamp: 1, body: secret stuff)")
    ours = logging.getLogger("bot.anything")
    ours.warning("token xoxb-1234567890-abcdef and a long line %s", "x" * 5000)
    body = {"text": " ".join(["Jane", "Okafor", "is", "leaving", "us"])}  # (a traceback shows source lines)
    try:
        Payload.model_validate(body)
    except ValidationError:
        ours.exception("listener failed")
    text = "\n".join(captured)
    assert "Jane Okafor" not in text and "secret stuff" not in text and "abcdef" not in text
    assert "(request body not logged)" in text and "user_id" in text  # field names stay, values go
    assert max(len(line) for line in text.splitlines()) <= MAX_LINE


def test_payload_logging_libraries_stay_at_info_even_at_debug() -> None:
    logging.getLogger("slack_sdk").setLevel(logging.DEBUG)
    install_log_policy(logging.getLogger("policy-test-other"))
    assert not logging.getLogger("slack_sdk.web.base_client").isEnabledFor(logging.DEBUG)
