"""Who needs us this week: the customers to answer or contact in the next N days, most urgent first.

Reasons (README, "Who needs us"): an unanswered message (always, oldest first: it beats everything);
for customers who accept outreach and may be contacted within the window, contact overdue, contact
due, a date from their `facts` in the window (`renewal_due` / `date_due`) and a VIP untouched for
longer than their window. `never` and opted-out customers appear only for an unanswered message;
customers still too soon for the whole window do not appear. Built from cadence, dates, facts and
history entries: never from `## Private`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.core.plan import follow_up_date
from bot.core.portfolio import (
    DEFAULT_DAYS,
    Digest,
    DigestEntry,
    Group,
    HealthPoint,
    NextStep,
    PerkSuggestion,
    Reason,
    Skipped,
    Stage,
    StageName,
)
from bot.knowledge.models import FREQUENCY_DAYS, Customer, HistoryEntry
from bot.services.cadence import ContactState, contact_state, relationship_start
from bot.services.knowledge import Snapshot
from bot.services.perks import perk_for
from bot.services.reading import unanswered_entry
from bot.services.stage import Stager

GIST = 90


def _gist(text: str) -> str:
    return text if len(text) <= GIST else text[: GIST - 1].rsplit(" ", 1)[0] + "…"


@dataclass(frozen=True)
class Window:
    today: dt.date
    until: dt.date
    reply_within: int  # working days the playbook gives for an answer (2 when it says nothing)

    def holds(self, day: dt.date) -> bool:
        return self.today <= day <= self.until


def allowed_from(state: ContactState, today: dt.date) -> dt.date:
    """The first day proactive contact is allowed: their next allowed date, else today."""
    return max(state.next_allowed, today) if state.next_allowed else today


def health_group(state: ContactState, window: Window) -> Group:
    if not state.accepts_outreach:
        return "reply_only"
    if state.overdue:
        return "overdue"
    return "due" if allowed_from(state, window.today) <= window.until else "too_soon"


def _unanswered(customer: Customer, entry: HistoryEntry) -> Reason:
    assert entry.date is not None
    return Reason(
        code="unanswered_message",
        date=entry.date,
        text=f'their {entry.channel or ""} message of {entry.date.isoformat()} has no reply: "{_gist(entry.text)}"',
    )


def _cadence(customer: Customer, state: ContactState, window: Window) -> Reason | None:
    frequency = customer.contact.frequency
    if state.overdue:
        start = relationship_start(customer)
        days = FREQUENCY_DAYS[frequency]
        owed = state.next_allowed or (start + dt.timedelta(days=days) if start else window.today)
        since = f"since {state.last_contact.isoformat()}" if state.last_contact else "ever"
        return Reason(code="contact_overdue", date=owed, text=f"no contact {since}; they asked for {frequency}")
    first = allowed_from(state, window.today)
    if window.holds(first):
        what = "never contacted yet" if state.last_contact is None else f"last contact {state.last_contact}"
        return Reason(code="contact_due", date=first, text=f"{frequency} contact is due on {first} ({what})")
    return None


def _dates(customer: Customer, window: Window) -> list[Reason]:
    out: list[Reason] = []
    for key, value in sorted(customer.facts.items()):
        if isinstance(value, dt.date) and window.holds(value):
            code = "renewal_due" if "renew" in key else "date_due"
            out.append(Reason(code=code, date=value, key=key, text=f"{key.replace('_', ' ')}: {value.isoformat()}"))
    return out


def _untouched(customer: Customer, state: ContactState, window: Window) -> Reason | None:
    """A VIP with no touch at all (our contact or their message) for longer than their window."""
    days = FREQUENCY_DAYS.get(customer.contact.frequency)
    if customer.tier != "vip" or days is None:
        return None
    touches = [e.date for e in customer.history if e.date and e.date <= window.today]
    if state.last_contact:
        touches.append(state.last_contact)
    last = max(touches, default=None) or relationship_start(customer)
    if last is None or (window.today - last).days <= days:
        return None
    return Reason(
        code="vip_untouched",
        date=last,
        text=f"VIP with no touch either way since {last.isoformat()} ({(window.today - last).days} days)",
    )


def reasons_for(customer: Customer, state: ContactState, window: Window) -> list[Reason]:
    reasons: list[Reason] = []
    entry = unanswered_entry(customer)
    if entry is not None and entry.date is not None:
        reasons.append(_unanswered(customer, entry))
    if not state.accepts_outreach or allowed_from(state, window.today) > window.until:
        return reasons  # replies only, or too soon for the whole window
    cadence = _cadence(customer, state, window)
    reasons += [cadence] if cadence else []
    reasons += _dates(customer, window)
    untouched = _untouched(customer, state, window)
    reasons += [untouched] if untouched else []
    return reasons


def _due(reasons: list[Reason], state: ContactState, window: Window) -> dt.date:
    first = reasons[0]
    if first.code == "unanswered_message" and first.date:
        return follow_up_date(first.date, window.reply_within)
    if first.code == "contact_overdue" and first.date:
        return first.date
    return allowed_from(state, window.today)


class DigestBuilder:
    def __init__(self, snap: Snapshot, today: dt.date, days: int = DEFAULT_DAYS, stager: Stager | None = None) -> None:
        if days < 0:
            raise ValueError("--days must be 0 or more")
        self.snap = snap
        reply_within = snap.response_time[0] if snap.response_time else 2
        self.window = Window(today, today + dt.timedelta(days=days), reply_within)
        self.days = days
        self.stager = stager or Stager(snap, today)

    def build(self, stage: StageName | None = None) -> Digest:
        skipped = Skipped()
        found: list[tuple[Customer, ContactState, list[Reason]]] = []
        for customer in self.snap.kb.customers.values():
            state = contact_state(customer, self.window.today)
            reasons = reasons_for(customer, state, self.window)
            if reasons:
                found.append((customer, state, reasons))
            elif not state.accepts_outreach:
                skipped.no_outreach += 1
            elif allowed_from(state, self.window.today) > self.window.until:
                skipped.too_soon += 1
            else:
                skipped.nothing_due += 1
        self.stager.load(c for c, _, _ in found)
        entries = [self.entry(c, s, r) for c, s, r in found]
        if stage is not None:
            entries = [e for e in entries if e.stage.name == stage]
        entries.sort(key=_urgency)
        window = self.window
        return Digest(as_of=window.today, days=self.days, until=window.until, customers=entries, skipped=skipped)

    def entry(self, customer: Customer, state: ContactState, reasons: list[Reason]) -> DigestEntry:
        stage = self.stager.stage(customer)
        outs = [e for e in customer.history if e.date and e.direction == "out"]
        latest = max(outs, key=lambda e: (e.date, e.line), default=None)
        return DigestEntry(
            id=customer.id,
            name=customer.name,
            reasons=[r.code for r in reasons],
            why=reasons,
            next_step=self.next_step(customer, reasons, stage),
            due=_due(reasons, state, self.window),
            stage=stage,
            tier=customer.tier,
            segment=customer.segment,
            frequency=customer.contact.frequency,
            last_contact=state.last_contact,
            last_author=latest.author if latest else None,
        )

    def next_step(self, customer: Customer, reasons: list[Reason], stage: Stage) -> NextStep:
        who = customer.display_name
        allowed = customer.contact.channels
        first = allowed[0] if allowed else None
        entry = unanswered_entry(customer)
        if reasons[0].code == "unanswered_message" and entry is not None and entry.date:
            channel = entry.channel if entry.channel in allowed else first
            text = f"Reply to {who}'s message of {entry.date.isoformat()}."
            return NextStep(intent="reply", text=text, channel=channel)
        perk = None
        if customer.tier == "vip":
            offer, _ = perk_for(customer, self.snap.kb.playbook, self.window.today)
            if offer is not None:
                perk = PerkSuggestion(name=offer.perk.name, source=offer.source, every_days=offer.perk.every_days)
        codes = [r.code for r in reasons]
        renewal = next((r for r in reasons if r.code == "renewal_due"), None)
        if renewal is not None and renewal.date:
            text = f"Talk to {who} about their renewal on {renewal.date.isoformat()} (facts: {renewal.key})."
            return NextStep(intent="outreach", purpose="renewal", text=text, channel=first, perk=perk)
        if perk is not None:
            text = f"Thank {who} with a perk: {perk.name} ({perk.source}). Log it when given."
            return NextStep(intent="outreach", purpose="perk", text=text, channel=first, perk=perk)
        if stage.name == "loyal" and "contact_overdue" not in codes:
            text = f"Invite {who} to share their experience: a review, a referral, a few words we may quote."
            return NextStep(intent="outreach", purpose="advocacy", text=text, channel=first)
        dated = next((r for r in reasons if r.code == "date_due"), None)
        ahead = f" ahead of their {dated.text}" if dated else ""
        return NextStep(intent="outreach", purpose="check_in", text=f"Check in with {who}{ahead}.", channel=first)


def _urgency(entry: DigestEntry) -> tuple[int, dt.date, int, str]:
    """Unanswered messages first (oldest first), then by due date, VIPs first on the same day."""
    first = entry.why[0]
    if first.code == "unanswered_message" and first.date:
        return (0, first.date, 0, entry.name)
    return (1, entry.due, 0 if entry.tier == "vip" else 1, entry.name)


def build_digest(snap: Snapshot, today: dt.date, days: int = DEFAULT_DAYS, stage: StageName | None = None) -> Digest:
    return DigestBuilder(snap, today, days).build(stage)


def health_points(snap: Snapshot, today: dt.date, days: int = DEFAULT_DAYS) -> list[HealthPoint]:
    """Every customer's days since last contact against their window, in the digest's groups."""
    window = Window(today, today + dt.timedelta(days=days), 2)
    points: list[HealthPoint] = []
    for c in snap.kb.customers.values():
        state = contact_state(c, today)
        since = (today - state.last_contact).days if state.last_contact else None
        group = health_group(state, window)
        window_days = FREQUENCY_DAYS.get(c.contact.frequency)
        points.append(HealthPoint(id=c.id, name=c.name, group=group, days_since=since, window=window_days))
    return points
