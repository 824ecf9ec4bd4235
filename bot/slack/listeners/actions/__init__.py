"""Buttons and menus: on drafts (log as sent, refine, feedback), on answers (read it the other way),
and on candidate lists (pick a customer)."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.constants import (
    ACTION_DRAFT_MENU,
    ACTION_FEEDBACK,
    ACTION_HELPFUL,
    ACTION_INTENT_OUTREACH,
    ACTION_INTENT_REPLY,
    ACTION_LOG_SENT,
    ACTION_NOT_HELPFUL,
    ACTION_PICK_RE,
    REFINE_STYLES,
)
from bot.slack.listeners.actions.drafts import DraftActions
from bot.slack.listeners.actions.intent import IntentActions
from bot.slack.listeners.actions.pick import PickCustomer
from bot.slack.listeners.common import ack_only
from bot.slack.runtime import Runtime


def register(app: App, rt: Runtime) -> None:
    drafts = DraftActions(rt)
    intent = IntentActions(rt)
    pick = PickCustomer(rt)
    # Log as sent: an `out` history entry through the same code as `rapport note`; the draft says so in place
    app.action(ACTION_LOG_SENT)(ack=ack_only, lazy=[drafts.log_sent])
    # The ⋯ menu (shorter, more formal, warmer, regenerate): the draft is replaced in place
    app.action(ACTION_DRAFT_MENU)(ack=ack_only, lazy=[drafts.menu])
    # The same refinements as buttons (ephemeral answers, answers from earlier versions)
    for action_id in REFINE_STYLES:
        app.action(action_id)(ack=ack_only, lazy=[drafts.refine])
    # Slack's feedback buttons, and 👍 / 👎 buttons in modals: the feedback log behind /rapport status
    app.action(ACTION_FEEDBACK)(ack=ack_only, lazy=[drafts.feedback])
    app.action(ACTION_HELPFUL)(ack=ack_only, lazy=[drafts.vote])
    app.action(ACTION_NOT_HELPFUL)(ack=ack_only, lazy=[drafts.vote])
    # "Reply to their message" / "Reach out first": ask again, read the other way
    app.action(ACTION_INTENT_REPLY)(ack=ack_only, lazy=[intent.run])
    app.action(ACTION_INTENT_OUTREACH)(ack=ack_only, lazy=[intent.run])
    # A candidate picked from an ambiguous answer or /customer list
    app.action(ACTION_PICK_RE)(ack=ack_only, lazy=[pick.run])
