"""Consent and contact cadence, exactly as DESIGN.md "Contact cadence, precisely" states."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.core.answer import Cadence, Warning
from bot.core.bounds import days_after
from bot.knowledge.models import FREQUENCY_DAYS, Customer, HistoryEntry


@dataclass(frozen=True)
class ContactState:
    last_contact: dt.date | None
    next_allowed: dt.date | None  # None: no window (frequency never) or never contacted
    too_soon: bool
    overdue: bool
    accepts_outreach: bool  # False for an opt-out or frequency 'never'

    def as_cadence(self, frequency: str) -> Cadence:
        ok = self.accepts_outreach  # for an opt-out or 'never' there is no next date to wait for
        return Cadence(
            last_contact=self.last_contact.isoformat() if self.last_contact else None,
            next_allowed=self.next_allowed.isoformat() if self.next_allowed and ok else None,
            frequency=frequency,
            accepts_outreach=ok,
            overdue=self.overdue and ok,
            too_soon=self.too_soon and ok,
        )


def last_contact(customer: Customer) -> dt.date | None:
    """The later of contact.last_contacted and the newest `out` history entry; inbound does not count."""
    dates = [e.date for e in customer.history if e.date and e.direction == "out"]
    if customer.contact.last_contacted:
        dates.append(customer.contact.last_contacted)
    return max(dates, default=None)


def relationship_start(customer: Customer) -> dt.date | None:
    if customer.customer_since:
        return customer.customer_since
    return min((e.date for e in customer.history if e.date), default=None)


def contact_state(customer: Customer, today: dt.date) -> ContactState:
    contact = customer.contact
    last = last_contact(customer)
    accepts = contact.frequency != "never" and not contact.marketing_opt_out
    window = FREQUENCY_DAYS.get(contact.frequency)
    if window is None:
        return ContactState(last, None, False, False, accepts)
    if last is not None:
        next_allowed = days_after(last, window)  # 9999-12-31 has no later date
        return ContactState(last, next_allowed, today < next_allowed, today > next_allowed, accepts)
    start = relationship_start(customer)
    overdue = start is not None and (today - start).days > window
    return ContactState(None, None, False, overdue, accepts)


def consent_warnings(customer: Customer, today: dt.date, proactive: bool) -> list[Warning]:
    """Warnings about consent and cadence; cadence ones only for customers who accept outreach."""
    name = customer.display_name
    out: list[Warning] = []
    if customer.contact.marketing_opt_out:
        out.append(
            Warning(
                code="marketing_opt_out",
                message=f"{name} opted out of marketing: no promotional content and no outreach; "
                "answering their own message is fine.",
            )
        )
    if customer.contact.frequency == "never":
        out.append(
            Warning(
                code="no_contact", message=f"{name} asked never to be contacted first: answer them, never reach out."
            )
        )
    state = contact_state(customer, today)
    if not state.accepts_outreach:
        return out
    frequency = customer.contact.frequency
    if state.too_soon and proactive and state.next_allowed and state.last_contact:
        out.append(
            Warning(
                code="contact_too_soon",
                message=f"{name} was last contacted on {state.last_contact.isoformat()} and prefers {frequency} "
                f"contact: the next proactive contact is due on {state.next_allowed.isoformat()} or later.",
            )
        )
    if state.overdue:
        since = f"since {state.last_contact.isoformat()}" if state.last_contact else "ever"
        out.append(
            Warning(
                code="contact_overdue",
                message=f"Nobody has contacted {name} {since}; they asked for {frequency} contact.",
            )
        )
    return out


GIST = 120


def unanswered_warning(customer: Customer, entry: HistoryEntry, today: dt.date) -> Warning:
    """Their latest message has no reply yet: name its date and what it was about."""
    assert entry.date is not None
    days = (today - entry.date).days
    ago = "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"
    gist = entry.text if len(entry.text) <= GIST else entry.text[: GIST - 1].rsplit(" ", 1)[0] + "…"
    return Warning(
        code="unanswered_message",
        message=f"{customer.display_name}'s {entry.channel or ''} message of {entry.date.isoformat()} ({ago}) has no "
        f'reply yet: "{gist}" Reply to it first; a reply is always allowed.',
    )
