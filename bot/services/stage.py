"""Relationship stages: new, active, loyal, advocate, at risk. Rules on history, facts and cadence only
(README, "Relationship stages"); the first rule that holds decides, and the stage says why.

1. at risk: contact overdue; or their unanswered message is a complaint; or they went quiet (with at
   least three messages or orders, the time since the last one is over twice their usual gap and over
   30 days);
2. advocate: `facts: referrals:` (a number above 0, or whom they referred), the tag `advocate`, or a
   history entry that reads as a review, a testimonial or an introduction (signals.py);
3. new: a customer for under 90 days (`customer_since`, else their first history entry);
4. loyal: a customer for a year or more who wrote or ordered in each of the last two half-years;
5. active: everyone else.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections.abc import Iterable

from bot.core.answer import Answer
from bot.core.portfolio import Stage
from bot.knowledge.models import Customer
from bot.services.cadence import contact_state, relationship_start
from bot.services.knowledge import Snapshot
from bot.services.meaning import Vectors
from bot.services.perks import perk_for
from bot.services.reading import unanswered_entry
from bot.services.signals import HistoryVectors, Judge, history_vectors

NEW_DAYS = 90
LOYAL_DAYS = 365
HALF_YEAR = 182
QUIET_FACTOR = 2
QUIET_MIN_DAYS = 30
RHYTHM_MIN = 3  # messages or orders needed before their rhythm means anything
ADVOCATE_TAG = "advocate"
REFERRALS_KEY = "referrals"
GIST = 70


def _gist(text: str) -> str:
    return text if len(text) <= GIST else text[: GIST - 1].rsplit(" ", 1)[0] + "…"


def _in_dates(customer: Customer, today: dt.date) -> list[dt.date]:
    return sorted(e.date for e in customer.history if e.date and e.direction == "in" and e.date <= today)


def went_quiet(customer: Customer, today: dt.date) -> str | None:
    """'quiet for N days against a usual M' when how often they buy or write has dropped."""
    dates = _in_dates(customer, today)
    if len(dates) < RHYTHM_MIN:
        return None
    usual = statistics.median((b - a).days for a, b in itertools.pairwise(dates))
    silence = (today - dates[-1]).days
    if silence > max(QUIET_FACTOR * usual, QUIET_MIN_DAYS):
        return f"quiet: {silence} days since their last message or order (usually every {usual:g} days)"
    return None


def _risks(customer: Customer, today: dt.date, vectors: dict[int, Vectors], judge: Judge) -> list[str]:
    risks: list[str] = []
    state = contact_state(customer, today)
    if state.accepts_outreach and state.overdue:
        since = f"since {state.last_contact.isoformat()}" if state.last_contact else "ever"
        risks.append(f"contact overdue: nobody has contacted them {since} ({customer.contact.frequency})")
    unanswered = unanswered_entry(customer)
    if unanswered is not None and unanswered.date and judge.complaint(unanswered, vectors):
        risks.append(f'their complaint of {unanswered.date.isoformat()} has no reply: "{_gist(unanswered.text)}"')
    quiet = went_quiet(customer, today)
    if quiet:
        risks.append(quiet)
    return risks


def _advocacy(customer: Customer, vectors: dict[int, Vectors], judge: Judge) -> str | None:
    referrals = customer.facts.get(REFERRALS_KEY)
    if referrals not in (None, 0, False, "0"):
        return f"referrals: {referrals} (their facts)"
    if ADVOCATE_TAG in (t.lower() for t in customer.tags):
        return f"tagged '{ADVOCATE_TAG}'"
    entry = judge.advocacy(customer, vectors)
    if entry is not None and entry.date:
        return f'{entry.date.isoformat()}: "{_gist(entry.text)}"'
    return None


def stage_of(customer: Customer, today: dt.date, vectors: dict[int, Vectors], judge: Judge) -> Stage:
    risks = _risks(customer, today, vectors, judge)
    if risks:
        return Stage(name="at_risk", why="; ".join(risks))
    advocacy = _advocacy(customer, vectors, judge)
    if advocacy:
        return Stage(name="advocate", why=f"they recommended us: {advocacy}")
    start = relationship_start(customer)
    age = (today - start).days if start else 0
    since = f"a customer since {start.isoformat()}" if start else "no start date or history yet"
    if start is None or age < NEW_DAYS:
        return Stage(name="new", why=f"{since} ({age} days)" if start else since)
    dates = _in_dates(customer, today)
    recent = [d for d in dates if (today - d).days < HALF_YEAR]
    before = [d for d in dates if HALF_YEAR <= (today - d).days < 2 * HALF_YEAR]
    if age >= LOYAL_DAYS and recent and before:
        return Stage(name="loyal", why=f"{since}; wrote or ordered in each of the last two half-years")
    last = f"; last message or order {dates[-1].isoformat()}" if dates else "; no message or order from them yet"
    return Stage(name="active", why=f"{since}{last}")


class Stager:
    """Stages for many customers at once: their history vectors read from the index in batches."""

    def __init__(self, snap: Snapshot, today: dt.date) -> None:
        self.snap, self.today = snap, today
        self.judge = Judge(snap.meaning)
        self.vectors = HistoryVectors()

    def load(self, customers: Iterable[Customer]) -> Stager:
        wanted = [c for c in customers if c.id not in self.vectors.by_customer]
        if wanted:
            self.vectors.by_customer.update(history_vectors(self.snap, wanted).by_customer)
        return self

    def stage(self, customer: Customer) -> Stage:
        self.load([customer])
        return stage_of(customer, self.today, self.vectors.of(customer.id), self.judge)


def relationship(answer: Answer, customer: Customer, snap: Snapshot, today: dt.date) -> None:
    """What `ask` shows beside its drafts: the stage, and for a VIP reached out to, the perk they may get."""
    answer.stage = Stager(snap, today).stage(customer)
    if answer.intent != "outreach" or answer.purpose == "perk" or customer.tier != "vip":
        return
    if not contact_state(customer, today).accepts_outreach:
        return
    offer, _ = perk_for(customer, snap.kb.playbook, today)
    if offer is not None:
        answer.notes.append(
            f"A perk {customer.display_name} may have (VIP, from {offer.source}): {offer.perk.name}. "
            "Ask to offer it to draft it; log it when given."
        )
