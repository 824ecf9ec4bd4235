"""channel_not_allowed: a draft for, or a sentence proposing, a channel the customer did not allow."""

from __future__ import annotations

import re

from bot.core.answer import Draft
from bot.guard.context import GuardContext
from bot.guard.draft import Sentence
from bot.guard.identities import phone_key
from bot.guard.rule import DraftFinding, Rule

# A number to ring ("+44 7700 900318", "0800 123 456"), not a date ("14.02.2027") or an order number.
CALL_NUMBER_RE = re.compile(r"\+\d[\d\s().-]{7,}\d|\b0\d{2,4}[\s-]\d{3}[\s-]?\d{3,4}\b")


class ChannelNotAllowed(Rule):
    code = "channel_not_allowed"
    prompt = (
        "Write only for the channel you are given, and never suggest another way of getting in touch (a call, a "
        "text, a letter, a messaging app) unless it is in `customer.allowed_channels`."
    )

    def check_draft(self, draft: Draft, ctx: GuardContext) -> DraftFinding | None:
        c = ctx.customer
        allowed = c.contact.channels
        if draft.channel in allowed:
            return None
        detail = f"drafted for {draft.channel}, which {c.display_name} has not allowed"
        if not allowed:
            return DraftFinding(f"{detail}; no channel is allowed, draft dropped", None)
        return DraftFinding(f"{detail}; moved to {allowed[0]}", draft.model_copy(update={"channel": allowed[0]}))

    def check(self, sentence: Sentence, ctx: GuardContext) -> list[str]:
        allowed = set(ctx.customer.contact.channels)
        proposed = dict.fromkeys(m.key for _lex, m in sentence.find("channels"))
        own = phone_key(ctx.customer.phone or "")
        if any(phone_key(n) not in ("", own) for n in CALL_NUMBER_RE.findall(sentence.text)):
            proposed["phone"] = None  # a number to ring is a call proposed
        return [f"proposes {name}, which they have not allowed" for name in proposed if name not in allowed]
