"""A customer picked from a list of equally good matches."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.services.knowledge import UnknownCustomer
from bot.slack.answering import card, present
from bot.slack.errors import reported
from bot.slack.listeners.actions.where import action_surface, is_private
from bot.slack.payloads import BlockActions, PickState, parse_state
from bot.slack.runtime import Runtime


class PickCustomer:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def run(self, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        payload = BlockActions.model_validate(body)
        state = parse_state(PickState, payload.action.value)
        surface, notice = action_surface(self.rt, client, payload, replace=True)
        user = payload.user
        with reported(surface.tell, "pick customer", user=user.id):
            refusal = self.rt.people.refusal(client, user.id, context.team_id, context.enterprise_id, user.team_id)
            if refusal:
                surface.tell(refusal)
                return
            if state is None:
                surface.tell("That list no longer works. Ask again.")
                return
            if state.k == "card":
                if not is_private(surface):  # a card holds private notes: only ever shown to the asker alone
                    surface.tell("Customer cards are only shown privately: run `/customer` for this one.")
                    return
                try:
                    blocks, text = card(self.rt, self.rt.knowledge.customer(state.c))
                except UnknownCustomer:
                    surface.tell("That customer is no longer in the knowledge folder.")
                    return
                surface.show(blocks, text)
                return
            # A message picked for "Suggest a reply" is answered, as the shortcut itself does.
            answer = self.rt.services.assistant.ask(
                state.q, customer_id=state.c, progress=surface, shortcut=state.o == "shortcut"
            )
            present(self.rt, surface, answer, origin=state.o or "pick", notice=notice)
