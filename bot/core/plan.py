"""The plan a draft is written from: how the request was read, the facts that answer it, the purpose.

The rules build it (services), a language model or the offline composer words it
(llm, services.drafts), and the guard checks the words against it. Every layer
imports this module; it imports nothing of theirs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from bot.core.answer import ContentIdea
from bot.knowledge.models import Channel, Customer, Perk

Intent = Literal["reply", "outreach", "fact"]
Purpose = Literal["check_in", "share_content", "renewal", "perk", "advocacy", "preferences"]
PURPOSES: tuple[Purpose, ...] = ("check_in", "share_content", "renewal", "perk", "advocacy", "preferences")
# Where the customer's own words came from: pasted into the question, the Slack thread, the message a
# shortcut was run on, or their latest unanswered `in` history entry.
Origin = Literal["pasted", "thread", "shortcut", "history"]
LATE_AFTER_DAYS = 7  # a reply to a message older than this says sorry for the wait, not thanks for writing
PassageKind = Literal["playbook", "staff", "history", "note", "customer_fact", "follow_up"]


@dataclass(frozen=True)
class Passage:
    """A piece of the knowledge folder with where it came from ("playbook/returns.md#L6")."""

    source: str
    text: str
    score: float = 0.0
    kind: PassageKind = "playbook"
    date: str | None = None
    direction: str | None = None


@dataclass(frozen=True)
class CustomerMessage:
    """The customer's own words that a reply answers."""

    text: str
    origin: Origin
    source: str | None = None  # the history line, for origin "history"
    date: dt.date | None = None
    channel: str | None = None  # the channel it came in on, when known


@dataclass
class Reading:
    """How a staff member's request was read, once, before anything is drafted."""

    intent: Intent
    purpose: Purpose | None = None  # outreach only: why we contact them first
    why: str = ""  # one sentence for staff: which signal decided
    sure: bool = True  # False: no clear signal; answered as a reply, outreach warnings shown beside it
    message: CustomerMessage | None = None
    channel: Channel | None = None  # a channel the request explicitly asks for
    foreign: str | None = None  # a channel outside DESIGN.md's list ("whatsapp"), named as not allowed
    perk: str | None = None  # the declared perk the request names ("the free pump test"), if it names one


@dataclass
class Facts:
    """What an answer may draw on, chosen by meaning from the message and the question."""

    answer: list[Passage] = field(default_factory=list)  # customer-facing sentences that answer it
    related: list[Passage] = field(default_factory=list)  # on the subject but answering nothing asked: staff see them
    staff: list[Passage] = field(default_factory=list)  # `## Staff only` guidance that applies: staff see it
    customer: list[Passage] = field(default_factory=list)  # the customer's `facts`, one passage each
    history: list[Passage] = field(default_factory=list)  # relevant and recent history entries and notes
    uncovered: list[str] = field(default_factory=list)  # questions in their message that no fact answers

    def all(self) -> list[Passage]:
        return [*self.answer, *self.related, *self.staff, *self.customer, *self.history]


@dataclass(frozen=True)
class Renewal:
    key: str  # "renewal_date"
    date: dt.date
    source: str


@dataclass(frozen=True)
class PerkOffer:
    perk: Perk
    source: str  # the playbook file that declares it
    text: str  # what the playbook says about it (customer-facing)


@dataclass(frozen=True)
class Backing:
    """What a draft's claims may rest on, by how far each source is trusted (DESIGN.md, "Honest").

    Offers, prices, guarantees and links rest only on `binding`; what we told them backs dates, counts
    and durations; what they wrote backs only their own dates and counts; the follow-up promise backs
    only a follow-up.
    """

    binding: tuple[str, ...] = ()  # customer-facing playbook text and the customer's facts
    ours: tuple[str, ...] = ()  # our `out` history entries and the customer's notes
    theirs: tuple[str, ...] = ()  # their `in` history entries and their pasted message
    promises: tuple[str, ...] = ()  # the plan's own follow-up promise
    links: tuple[str, ...] = ()  # URLs a draft may give: the content library's and the binding texts'


@dataclass
class DraftPlan:
    customer: Customer
    channel: Channel
    reading: Reading
    question: str
    facts: Facts
    ideas: list[ContentIdea]
    today: dt.date
    complaint: bool = False  # their message reports something that went wrong: one apology, then the remedy
    waiting_since: dt.date | None = None  # a reply to a message that has waited this long: sorry for the delay
    renewal: Renewal | None = None
    perk: PerkOffer | None = None
    extra_facts: list[str] = field(default_factory=list)  # statements the guard must accept (follow-up date)
    reply_within: int = 2  # working days to come back with an answer (the playbook's, when it states one)
    reply_source: str | None = None  # the playbook file that states it

    @property
    def intent(self) -> Intent:
        return self.reading.intent

    @property
    def purpose(self) -> Purpose | None:
        return self.reading.purpose

    @property
    def message(self) -> CustomerMessage | None:
        return self.reading.message

    @property
    def late(self) -> bool:
        """A reply to a message that has waited LATE_AFTER_DAYS or more: it says sorry for the wait."""
        return self.waiting_since is not None and (self.today - self.waiting_since).days >= LATE_AFTER_DAYS

    @property
    def follow_up(self) -> dt.date:
        return follow_up_date(self.today, self.reply_within)


def follow_up_date(today: dt.date, working_days: int = 2) -> dt.date:
    day = today
    while working_days:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            working_days -= 1
    return day


def human_date(day: dt.date) -> str:
    return f"{day.strftime('%A')} {day.day} {day.strftime('%B')}"
