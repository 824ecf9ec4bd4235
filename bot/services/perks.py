"""Perks and renewals: the special things a plan may hold, taken only from what the folder declares.

A perk comes from a playbook page's `perks:` list, for the tier it names, and never again within
its `every_days` (a perk given is logged as history, so the history says when it was last given).
A renewal comes from a date in the customer's `facts`.
"""

from __future__ import annotations

import datetime as dt

from bot.core.bounds import days_after
from bot.core.plan import PerkOffer, Renewal
from bot.knowledge.models import Customer, PlaybookDoc
from bot.services.sentences import split_sentences
from bot.services.text import COMMON_WORDS, fold, stem, stems, words


def names_perk(text: str, perk_name: str) -> bool:
    """The entry names the perk: word for word, or all its words but one ("Quarterly security review on
    site" names "Free quarterly security review"). A perk wrongly thought given is only offered later."""
    if fold(perk_name) in fold(text):
        return True
    wanted = {stem(w) for w in words(perk_name) if len(w) > 2 and w not in COMMON_WORDS}
    return len(wanted) >= 2 and len(wanted & stems(text)) >= len(wanted) - 1


def last_given(customer: Customer, perk_name: str) -> dt.date | None:
    """The latest `out` history entry that names the perk."""
    given = [e.date for e in customer.history if e.date and e.direction == "out" and names_perk(e.text, perk_name)]
    return max(given, default=None)


def _about(doc: PlaybookDoc, perk_name: str) -> str:
    """What the page says about this perk: its sentences that name it, else the page's first sentence."""
    wanted = stems(perk_name)
    sentences = [s for _, s in split_sentences(doc.public_text)]
    named = [s for s in sentences if wanted and len(wanted & stems(s)) * 2 >= len(wanted)]
    return " ".join(named[:2] or sentences[:1])


def perk_for(
    customer: Customer, playbook: list[PlaybookDoc], today: dt.date, wanted: str | None = None
) -> tuple[PerkOffer | None, str]:
    """The perk to offer this customer now (`wanted`: the one the request names, and no other), or None
    and why not (for staff)."""
    declared = [(doc, perk) for doc in playbook for perk in doc.perks if wanted is None or perk.name == wanted]
    if not declared:
        return None, "No perk is declared in the playbook (a `perks:` list in a playbook page), so none is offered."
    allowed = [(doc, perk) for doc, perk in declared if perk.for_ == "all" or customer.tier == "vip"]
    if not allowed:
        which = f"'{wanted}' is" if wanted else "the playbook's perks are"
        return None, f"{customer.display_name} is not a VIP, and {which} for VIPs only."
    waiting: list[str] = []
    for doc, perk in allowed:
        last = last_given(customer, perk.name)
        if last and perk.every_days and (today - last).days < perk.every_days:
            again = days_after(last, perk.every_days)  # a history date of 9999-12-31 has no later one
            waiting.append(f"{perk.name} was given on {last.isoformat()} (again from {again.isoformat()})")
            continue
        return PerkOffer(perk=perk, source=doc.path, text=_about(doc, perk.name)), ""
    return None, "No perk is due: " + "; ".join(waiting) + "."


def renewal_of(customer: Customer, today: dt.date, within: int | None = None) -> Renewal | None:
    """The soonest coming date in their facts (within `within` days, if given), a renewal date first."""
    last = today + dt.timedelta(days=within) if within is not None else dt.date.max
    coming = [
        (key, value) for key, value in customer.facts.items() if isinstance(value, dt.date) and today <= value <= last
    ]
    if not coming:
        return None
    key, day = min(coming, key=lambda kv: ("renew" not in kv[0], kv[1]))
    return Renewal(key=key, date=day, source=f"{customer.path}#L{customer.fact_lines.get(key, 1)}")
