"""/rapport digest [N] [chart]: who needs us in the next N days (default 7), only for the asker.

Everyone may run it (the admin commands stay admin-only): the digest holds no private notes, and
it goes only to the person who asked, through the command's response_url.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.core.portfolio import DEFAULT_DAYS
from bot.slack.digest_blocks import digest_blocks, digest_text
from bot.slack.errors import reported
from bot.slack.listeners.digest.common import current_digest, mine, send_chart
from bot.slack.payloads import Command
from bot.slack.privacy import EXTERNAL_USER_REASON
from bot.slack.runtime import Runtime
from bot.slack.surface import ResponseSurface

MAX_DAYS = 366
SHOWN = 15  # entries per message: 3 blocks each, under Slack's 50
USAGE = "Usage: `/rapport digest [days] [chart]`, e.g. `/rapport digest 14` or `/rapport digest chart`."


def is_digest(body: dict[str, Any]) -> bool:
    """The /rapport command's `digest` subcommand (Bolt: the first listener that matches handles it)."""
    return str(body.get("text") or "").strip().lower().split(" ", 1)[0] == "digest"


@dataclass(frozen=True)
class DigestArgs:
    days: int = DEFAULT_DAYS
    chart: bool = False
    problem: str | None = None


def parse(text: str) -> DigestArgs:
    words = text.strip().lower().split()[1:]
    days, chart = DEFAULT_DAYS, False
    for word in words:
        if word == "chart":
            chart = True
        elif re.fullmatch(r"\d{1,4}", word) and int(word) <= MAX_DAYS:
            days = int(word)
        else:
            return DigestArgs(problem=f"I don't know `{word}` here. {USAGE}")
    return DigestArgs(days, chart)


class DigestCommand:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def ack(self, ack: Ack, body: dict[str, Any]) -> None:
        args = parse(Command.model_validate(body).text)
        ack(text=args.problem) if args.problem else ack()

    def run(self, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext) -> None:
        command = Command.model_validate(body)
        args = parse(command.text)
        if args.problem:
            return
        surface = ResponseSurface(client, command.response_url, command.channel_id, command.user_id)
        with reported(surface.tell, "/rapport digest", user=command.user_id, channel=command.channel_id):
            if not self.rt.people.is_member(client, command.user_id, context.team_id, context.enterprise_id):
                surface.tell(EXTERNAL_USER_REASON)
                return
            digest = current_digest(self.rt, args.days)
            own = mine(self.rt, client, command.user_id, digest)
            surface.show(digest_blocks(digest, SHOWN, own), digest_text(digest))
            if args.chart:
                send_chart(self.rt, client, command.user_id, args.days)
                surface.tell("I sent the contact-health chart to our DM.")
