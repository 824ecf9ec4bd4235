"""unsupported_claim: a value, offer, promise or link that nothing trusted enough backs."""

from __future__ import annotations

from bot.guard.context import GuardContext
from bot.guard.draft import Sentence
from bot.guard.rule import Rule
from bot.language.lexicon import lexicons
from bot.language.links import links, url_key


def clip(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


class UnsupportedClaim(Rule):
    code = "unsupported_claim"
    prompt = (
        "Every price, discount, percentage, date, delivery time, count, guarantee, refund, free item or promise "
        "must be stated in the playbook passages or the customer's facts (dates, durations and counts may also "
        "come from their history); never invent one, in any wording. If the data does not answer, say we are "
        "checking and will come back to them by the `follow_up_by` date, and nothing more specific. Give only "
        "links that appear in the data, exactly as given."
    )

    def check(self, sentence: Sentence, ctx: GuardContext) -> list[str]:
        reasons: list[str] = []
        unsupported = list(unbacked(sentence, ctx).values())
        if unsupported:
            listed = ", ".join(f"'{w}'" for w in dict.fromkeys(unsupported))
            reasons.append(f"{listed} is not backed by the playbook or their history")
        for url in links(sentence.text):
            if url_key(url) not in ctx.links:
                reasons.append(f"links to '{clip(url, 60)}', which is not in the content library")
        return reasons


def unbacked(sentence: Sentence, ctx: GuardContext) -> dict[str, str]:
    """The sentence's claims nothing trusted enough backs: atom -> the words as written (and why, for an
    offer the playbook makes only for something else). Also how a request to offer something is weighed."""
    follow_up = bool(sentence.find("follow_up", sentence.codes or tuple(lexicons())))
    found = {
        atom: said
        for atom, said in sentence.claims.items()
        if atom not in ctx.stated and not (follow_up and atom in ctx.promised)
    }
    codes = sentence.codes or tuple(lexicons())
    for atom, said in sentence.claims.items():
        if (
            atom.startswith("offer:")
            and atom in ctx.stated
            and atom in ctx.offers
            and not ctx.offer_backed(atom, codes, sentence.text)
        ):
            found[atom] = f"{said} (the playbook offers it for something else)"
    return found
