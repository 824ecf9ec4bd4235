"""Pieces every listener kind uses."""

from __future__ import annotations

import logging

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.constants import PROGRESS_REACTION

log = logging.getLogger(__name__)


def ack_only(ack: Ack) -> None:
    """Acknowledge at once; the work runs in a lazy listener on the worker pool."""
    ack()


def react(client: WebClient, channel: str, ts: str) -> bool:
    """Show that Rapport is on it. Cosmetic: a failure is logged, never fatal. True if the 👀 is there."""
    try:
        client.reactions_add(channel=channel, timestamp=ts, name=PROGRESS_REACTION)
    except SlackApiError as exc:
        log.info("reactions.add failed: %s", exc.response.get("error"))
        return bool(exc.response.get("error") == "already_reacted")
    except OSError as exc:
        log.info("reactions.add failed: %s", exc)
        return False
    return True


def unreact(client: WebClient, channel: str, ts: str) -> None:
    """The work is over (answered, or the person was told why not): the 👀 goes."""
    try:
        client.reactions_remove(channel=channel, timestamp=ts, name=PROGRESS_REACTION)
    except (SlackApiError, OSError) as exc:
        log.info("reactions.remove failed: %s", exc)
