"""other_customer: a sentence that names another customer or gives contact details that are not theirs."""

from __future__ import annotations

from bot.guard.context import GuardContext
from bot.guard.draft import Sentence
from bot.guard.rule import Rule
from bot.language.text import EMAIL_RE


class OtherCustomer(Rule):
    code = "other_customer"
    prompt = "Never mention or hint at any other customer, and give no email address or phone number but ours."

    def check(self, sentence: Sentence, ctx: GuardContext) -> list[str]:
        assert ctx.identities is not None
        text = sentence.text
        named = ctx.identities.named(text, ctx.customer, ctx.own, ctx.known_stems)
        if named:
            return [f"names another customer ('{named[0]}')"]
        own = (ctx.customer.email or "").lower()
        return [
            f"gives an email address that is not theirs ('{email}')"
            for email in EMAIL_RE.findall(text)
            if email.lower() != own and email.lower() not in ctx.known_emails
        ]
