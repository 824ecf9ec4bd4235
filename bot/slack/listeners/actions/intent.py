""" "Reply to their message" / "Reach out first": ask again, read the other way, and replace the answer."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.slack.answering import answer_view, record_shown
from bot.slack.errors import reported
from bot.slack.listeners.actions.where import action_surface
from bot.slack.payloads import BlockActions, IntentState, parse_state
from bot.slack.runtime import Runtime
from bot.slack.surface import raw

EXPIRED = "That button no longer works. Ask again for fresh drafts."


class IntentActions:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def run(self, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        payload = BlockActions.model_validate(body)
        surface, notice = action_surface(self.rt, client, payload, replace=True)
        user = payload.user
        with reported(surface.tell, "intent", user=user.id):
            refusal = self.rt.people.refusal(client, user.id, context.team_id, context.enterprise_id, user.team_id)
            if refusal:
                surface.tell(refusal)
                return
            state = parse_state(IntentState, payload.action.value)
            if state is None:
                surface.tell(EXPIRED)
                return
            surface.status("Reading it the other way…")
            answer = self.rt.services.assistant.ask(state.q, customer_id=state.c, intent=state.i, progress=surface)
            blocks, text, ids = answer_view(self.rt, surface, answer, origin=state.o or "intent", notice=notice)
            if not surface.update(raw(blocks), text):
                surface.show(blocks, text)
            record_shown(self.rt, surface, answer, ids, state.o or "intent")
