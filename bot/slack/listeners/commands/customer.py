"""/customer QUERY: the customer card, only for the person who asked."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot.core.answer import Candidate
from bot.core.bounds import MAX_QUESTION_CHARS, bound
from bot.slack.answer_blocks import candidate_blocks
from bot.slack.answering import card
from bot.slack.blocks import clip, esc, mrkdwn_sections
from bot.slack.errors import reported
from bot.slack.payloads import Command, plain_text
from bot.slack.runtime import Runtime
from bot.slack.surface import ResponseSurface

USAGE = (
    "*Usage:* `/customer QUERY`: a name, an email address, a company or a description "
    "(_the cafe owner in Leeds_). Only you see the card, private notes included."
)


class CustomerCommand:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def ack(self, ack: Ack, body: dict[str, Any]) -> None:
        if not plain_text(Command.model_validate(body).text):
            ack(text="Usage: /customer QUERY", blocks=mrkdwn_sections(USAGE))
        else:
            ack()

    def look_up(self, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        command = Command.model_validate(body)
        query = bound(plain_text(command.text), MAX_QUESTION_CHARS).text
        if not query:
            return
        surface = ResponseSurface(client, command.response_url, command.channel_id, command.user_id)
        with reported(surface.tell, "/customer", user=command.user_id, channel=command.channel_id):
            refusal = self.rt.people.refusal(client, command.user_id, context.team_id, context.enterprise_id)
            if refusal:
                surface.tell(refusal)
                return
            matches = self.rt.knowledge.snapshot().finder.find(query, limit=5)
            tied = [m for m in matches if m.tie]
            broken = self.rt.knowledge.broken_for(query)
            if not matches and broken:  # their file has errors: say which, not "nobody"
                text = "\n".join(esc(b.explanation) for b in broken)
                surface.show(mrkdwn_sections(text), text)
            elif not matches:
                text = f"No customer matches “{esc(query)}”. Try a name, an email address or a company."
                surface.show(mrkdwn_sections(text), clip(esc(f"No customer matches {query}.")))
            elif len(tied) > 1:
                candidates = [Candidate(id=m.customer.id, name=m.customer.name, score=m.score) for m in tied]
                surface.show(candidate_blocks(candidates, query, "card", "command"), "Which customer do you mean?")
            else:
                blocks, text = card(self.rt, matches[0].customer)
                surface.show(blocks, text)
