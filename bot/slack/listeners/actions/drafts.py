"""Draft buttons: refine, log as sent, helpful / not helpful."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient

from bot.core.answer import Draft
from bot.knowledge.writer import NoteError
from bot.services.feedback import FeedbackKind
from bot.services.knowledge import UnknownCustomer
from bot.slack.answering import present
from bot.slack.blocks import CHANNEL_LABELS
from bot.slack.constants import ACTION_HELPFUL, REFINE_STYLES
from bot.slack.errors import reported
from bot.slack.listeners.actions.where import action_surface
from bot.slack.payloads import BlockActions, DraftState, parse_state
from bot.slack.privacy import EXTERNAL_USER_REASON
from bot.slack.runtime import Runtime
from bot.slack.surface import Surface

LABELS = {"shorter": "Shorter", "formal": "More formal", "warmer": "Warmer", "regenerate": "Regenerated"}
EXPIRED = "That button no longer works (it came from an older version of Rapport). Ask again for fresh drafts."
SENT_TTL = 90 * 86400.0  # a double click within 90 days logs once
NOTE_PREFIX = "Sent (drafted with Rapport): "
CUT_NOTE = " [the start of a longer draft: Slack buttons carry 2,000 characters]"
THANKS = {True: "Thanks: noted as helpful.", False: "Thanks: noted as not helpful. We'll learn from it."}


class DraftActions:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def _start(
        self, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext
    ) -> tuple[BlockActions, Surface, str | None, DraftState | None]:
        payload = BlockActions.model_validate(body)
        surface, notice = action_surface(self.rt, client, respond, payload)
        state = parse_state(DraftState, payload.action.value)
        user = payload.user
        if not self.rt.people.is_member(client, user.id, context.team_id, context.enterprise_id, user.team_id):
            surface.tell(EXTERNAL_USER_REASON)
            state = None
        elif state is None:
            surface.tell(EXPIRED)
        return payload, surface, notice, state

    def refine(self, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext) -> None:
        payload, surface, notice, state = self._start(body, client, respond, context)
        if state is None:
            return
        style = REFINE_STYLES[payload.action.action_id]
        with reported(surface.tell, f"refine {style}", user=payload.user.id, customer=state.c):
            draft = Draft(text=state.t, channel=state.ch)
            answer = self.rt.services.assistant.refine(state.c, state.q, draft, style, intent=state.i)
            present(self.rt, surface, answer, origin="refine", notice=notice, compact=True, label=LABELS[style])

    def log_sent(self, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext) -> None:
        payload, surface, _notice, state = self._start(body, client, respond, context)
        if state is None:
            return
        user = payload.user.id
        key = f"sent:{state.d}"
        if not self.rt.dedup.first_time(key, ttl=SENT_TTL):
            surface.tell("This draft is already logged as sent.")
            return
        with reported(surface.tell, "log as sent", user=user, customer=state.c):
            try:
                author = f"{self.rt.people.name(client, user)}, {user}"
                text = NOTE_PREFIX + state.t + (CUT_NOTE if state.x else "")
                result = self.rt.knowledge.add_note(state.c, text, state.ch, "out", author)
            except (UnknownCustomer, NoteError):
                self.rt.dedup.release(key)
                surface.tell("I couldn't log this: that customer is no longer in the knowledge folder.")
                return
            except Exception:
                self.rt.dedup.release(key)
                raise
            self.rt.feedback.record("sent", state.d, customer=state.c, user=user, channel=state.ch, origin=state.o)
            name = self.rt.knowledge.customer(state.c).name
            surface.tell(
                f":white_check_mark: Logged as sent by {CHANNEL_LABELS.get(state.ch, state.ch)} "
                f"in {name}'s history (`{result.path}`, line {result.line})."
            )

    def vote(self, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext) -> None:
        payload, surface, _notice, state = self._start(body, client, respond, context)
        if state is None:
            return
        helpful = payload.action.action_id == ACTION_HELPFUL
        with reported(surface.tell, "feedback", user=payload.user.id):
            kind: FeedbackKind = "helpful" if helpful else "not_helpful"
            self.rt.feedback.record(kind, state.d, customer=state.c, user=payload.user.id, origin=state.o)
            surface.tell(THANKS[helpful])
