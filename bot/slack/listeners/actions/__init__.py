"""Buttons: on drafts (refine, log as sent, feedback) and on candidate lists (pick a customer)."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.constants import (
    ACTION_HELPFUL,
    ACTION_LOG_SENT,
    ACTION_NOT_HELPFUL,
    ACTION_PICK_RE,
    REFINE_STYLES,
)
from bot.slack.listeners.actions.drafts import DraftActions
from bot.slack.listeners.actions.pick import PickCustomer
from bot.slack.listeners.common import ack_only
from bot.slack.runtime import Runtime


def register(app: App, rt: Runtime) -> None:
    drafts = DraftActions(rt)
    pick = PickCustomer(rt)
    # Shorter / More formal / Warmer / Regenerate: same facts and rules, answered where the draft is
    for action_id in REFINE_STYLES:
        app.action(action_id)(ack=ack_only, lazy=[drafts.refine])
    # Log as sent: an `out` history entry through the same code as `rapport note`
    app.action(ACTION_LOG_SENT)(ack=ack_only, lazy=[drafts.log_sent])
    # Helpful / Not helpful: the feedback log behind /rapport status
    app.action(ACTION_HELPFUL)(ack=ack_only, lazy=[drafts.vote])
    app.action(ACTION_NOT_HELPFUL)(ack=ack_only, lazy=[drafts.vote])
    # A candidate picked from an ambiguous answer or /customer list
    app.action(ACTION_PICK_RE)(ack=ack_only, lazy=[pick.run])
