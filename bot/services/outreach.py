"""Offline outreach drafts, one kind per purpose: we contact them first, so every line says why.

Consent and cadence were checked before anything gets here (the Assistant drafts outreach only
for customers who accept it, when it is not too soon). Each purpose states only what its source
backs: a renewal its date from the customer's `facts` and the playbook's terms, a perk only what a
playbook page declares, content only what the library holds.
"""

from __future__ import annotations

from bot.core.plan import DraftPlan, human_date
from bot.knowledge.models import Customer
from bot.services.text import stems
from bot.services.voice import said_to_them, thing_of

FREQUENCY_WORDS = {"weekly": "a weekly note", "monthly": "a monthly note", "quarterly": "a note every quarter"}
CHANNEL_WORDS = {"email": "email", "sms": "text message", "phone": "phone", "slack": "Slack", "mail": "post"}


def their_thing(customer: Customer) -> tuple[str, str] | None:
    """Something of theirs to ask after (their plan, the product they bought), with its source line."""
    for key, value in customer.facts.items():
        if isinstance(value, str) and not key.endswith("_date") and not value.replace(".", "", 1).isdigit():
            return thing_of(key, value), f"{customer.path}#L{customer.fact_lines.get(key, 1)}"
    return None


def _check_in(plan: DraftPlan, short: bool) -> tuple[list[str], list[str]]:
    c = plan.customer
    thing = their_thing(c)
    lines = [] if short else ["I hope you're well."]
    sources = [c.path]
    if thing:
        lines.append(f"I wanted to see how things are going with your {thing[0]}.")
        sources = [thing[1]]
    elif c.interests:
        lines.append(f"I wanted to see how things are going with {c.interests[0]}, and whether we can help.")
    else:
        lines.append("I wanted to see how things are going, and whether there's anything we can help with.")
    if not short:
        lines.append("If there's anything we can do, just reply to this message.")
        if c.segment == "b2c":
            lines.append("No need to reply if all is well.")
    return lines, sources


def _share(plan: DraftPlan, short: bool) -> tuple[list[str], list[str]]:
    if not plan.ideas:
        return _check_in(plan, short)
    idea = plan.ideas[0]
    link = f" {idea.url}" if idea.url else ""
    title_stems = stems(idea.title)
    interest = next((i for i in plan.customer.interests if stems(i) and stems(i) <= title_stems), None)
    why = f", given your interest in {interest}" if interest else ""
    lines = [] if short else ["I hope you're well."]
    lines.append(f'I thought you might find this useful{why}: "{idea.title}".{link}')
    if not short and plan.customer.segment == "b2c":
        lines.append("No need to reply if all is well.")
    return lines, [idea.path]


def _renewal(plan: DraftPlan, short: bool) -> tuple[list[str], list[str]]:
    lines: list[str] = []
    sources: list[str] = []
    if plan.renewal:
        key = plan.renewal.key.removesuffix("_date").replace("_", " ")
        day = plan.renewal.date
        lines.append(f"A quick note that your {key} date is {human_date(day)} {day.year}.")
        sources.append(plan.renewal.source)
    terms = plan.facts.answer[: 1 if short else 2]
    lines += [said_to_them(p.text) for p in terms]
    sources += [p.source for p in terms]
    if not lines:
        return _check_in(plan, short)
    if not short:
        lines.append("If you'd like to change anything before then, just reply to this message.")
    return lines, sources


def _perk(plan: DraftPlan, short: bool) -> tuple[list[str], list[str]]:
    offer = plan.perk
    if offer is None:  # the Assistant does not draft a perk it has not found; this is a last guard
        return [], []
    lines = [f"As a thank-you for being such a valued customer, we'd like to offer you {offer.perk.name}."]
    if offer.text and not short:
        lines.append(said_to_them(offer.text))
    lines.append("Just reply to let me know if you'd like it.")
    return lines, [offer.source]


def _advocacy(plan: DraftPlan, short: bool) -> tuple[list[str], list[str]]:
    thing = their_thing(plan.customer)
    about = f"your {thing[0]}" if thing else "working with us"
    lines = [] if short else ["I hope you're well."]
    lines.append(f"If you've been happy with {about}, would you be willing to share your experience?")
    if not short:
        lines.append("A short review or a few lines we could quote would mean a great deal, and there's no obligation.")
    return lines, [thing[1] if thing else plan.customer.path]


def _preferences(plan: DraftPlan, short: bool) -> tuple[list[str], list[str]]:
    c = plan.customer
    how = " or ".join(CHANNEL_WORDS.get(ch, ch) for ch in c.contact.channels[:2]) or "email"
    often = FREQUENCY_WORDS.get(c.contact.frequency, "the occasional note")
    lines = [] if short else ["We'd like to be in touch only as often, and in the way, that suits you."]
    lines.append(f"At the moment we have you down for {often} by {how}. Would you like us to change either?")
    return lines, [c.path]


PURPOSE_BODIES = {
    "check_in": _check_in,
    "share_content": _share,
    "renewal": _renewal,
    "perk": _perk,
    "advocacy": _advocacy,
    "preferences": _preferences,
}


def outreach_body(plan: DraftPlan, short: bool) -> tuple[list[str], list[str]]:
    return PURPOSE_BODIES[plan.purpose or "check_in"](plan, short)
