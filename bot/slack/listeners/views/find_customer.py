"""The "Who is the customer?" form of the Suggest-a-reply modal."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.core.answer import Candidate
from bot.slack.answer_blocks import candidate_blocks
from bot.slack.answering import present
from bot.slack.blocks import mrkdwn_sections
from bot.slack.cards import find_customer_modal, loading_blocks, suggestion_modal
from bot.slack.constants import ACTION_FIND_CUSTOMER_INPUT, BLOCK_FIND_CUSTOMER
from bot.slack.errors import reported
from bot.slack.payloads import SuggestionMeta, ViewSubmission, parse_state, plain_text
from bot.slack.privacy import EXTERNAL_USER_REASON
from bot.slack.runtime import Runtime
from bot.slack.surface import ViewSurface


class FindCustomer:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def ack(self, ack: Ack, body: dict[str, Any]) -> None:
        view = ViewSubmission.model_validate(body).view
        ack(response_action="update", view=suggestion_modal(loading_blocks(), view.private_metadata))

    def answer(self, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        submission = ViewSubmission.model_validate(body)
        view, user = submission.view, submission.user.id
        surface = ViewSurface(client, user, view.private_metadata, view_id=view.id)
        with reported(surface.tell, "find_customer", user=user):
            meta = parse_state(SuggestionMeta, view.private_metadata)
            refusal = self.rt.people.refusal(
                client, user, context.team_id, context.enterprise_id, submission.user.team_id
            )
            if meta is None or refusal:
                reason = refusal or EXTERNAL_USER_REASON
                surface.show(mrkdwn_sections(reason), reason)
                return
            who = plain_text(view.input_value(BLOCK_FIND_CUSTOMER, ACTION_FIND_CUSTOMER_INPUT))
            matches = self.rt.knowledge.snapshot().finder.find(who, limit=5) if who else []
            tied = [m for m in matches if m.tie]
            if not matches:
                problem = f"No customer matches “{who}”. Try a name, an email address or a company."
                client.views_update(view_id=view.id, view=find_customer_modal(view.private_metadata, problem))
            elif len(tied) > 1:
                candidates = [Candidate(id=m.customer.id, name=m.customer.name, score=m.score) for m in tied]
                surface.show(candidate_blocks(candidates, meta.q, "answer", "shortcut"), "Which customer?")
            else:
                surface.status(f"Reading {matches[0].customer.display_name}'s history…")
                answer = self.rt.services.assistant.ask(
                    meta.q, customer_id=matches[0].customer.id, progress=surface, shortcut=True
                )
                present(self.rt, surface, answer, origin="shortcut")
