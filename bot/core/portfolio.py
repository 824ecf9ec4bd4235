"""The portfolio view: who needs us this week (`rapport digest --json`), relationship stages and segments
(`rapport segments --json`). Typed once here; the CLI and Slack render them. No private note ever
reaches these models: they are built from cadence, dates, `facts` and history entries only."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

StageName = Literal["new", "active", "loyal", "advocate", "at_risk"]
DEFAULT_DAYS = 7  # how far ahead the digest looks for who is due
STAGES: tuple[StageName, ...] = ("new", "active", "loyal", "advocate", "at_risk")

# Stable reason codes. A date from the customer's `facts` is `renewal_due` (a key naming a renewal) or
# `date_due`; either way `key` names the fact.
ReasonCode = Literal["unanswered_message", "contact_overdue", "contact_due", "renewal_due", "date_due", "vip_untouched"]
Purpose = Literal["check_in", "share_content", "renewal", "perk", "advocacy", "preferences"]
Group = Literal["overdue", "due", "too_soon", "reply_only"]


class Stage(BaseModel):
    name: StageName
    why: str  # the rule that decided it, with the dates behind it


class Reason(BaseModel):
    code: ReasonCode
    text: str  # for a person
    date: dt.date | None = None  # the message, the fact's date, or the first allowed date
    key: str | None = None  # the `facts` key, for renewal_due / date_due


class PerkSuggestion(BaseModel):
    name: str
    source: str  # the playbook page that declares it
    every_days: int | None = None


class NextStep(BaseModel):
    intent: Literal["reply", "outreach"]
    purpose: Purpose | None = None  # outreach only (the purposes `rapport ask --outreach` drafts)
    text: str
    channel: str | None = None  # the channel to use: their message's, else their first allowed
    perk: PerkSuggestion | None = None


class DigestEntry(BaseModel):
    id: str
    name: str
    reasons: list[ReasonCode]
    why: list[Reason] = Field(default_factory=list)
    next_step: NextStep
    due: dt.date
    stage: Stage
    tier: str = "standard"
    segment: str = "b2c"
    frequency: str = "monthly"
    last_contact: dt.date | None = None
    last_author: str | None = None  # who wrote our latest `out` entry ("Sam"), for "your customers"


class Skipped(BaseModel):
    """Customers left out, and why (so a short digest is seen to be short for a reason)."""

    too_soon: int = 0
    no_outreach: int = 0  # `never` or opted out, with nothing unanswered
    nothing_due: int = 0


class Digest(BaseModel):
    as_of: dt.date
    days: int
    until: dt.date
    customers: list[DigestEntry] = Field(default_factory=list)
    skipped: Skipped = Field(default_factory=Skipped)


class HealthPoint(BaseModel):
    """One customer on the contact-health chart: days since last contact against their window."""

    id: str
    name: str
    group: Group
    days_since: int | None  # None: never contacted
    window: int | None  # None: `never` (no window)


class ContentFit(BaseModel):
    path: str
    title: str
    url: str | None = None
    promotional: bool = False
    may_receive: int  # members who accept outreach and for whom nothing blocks it
    blocked: dict[str, int] = Field(default_factory=dict)  # why not, counted over the other members


class MemberRef(BaseModel):
    id: str
    name: str
    due: dt.date | None = None
    reasons: list[ReasonCode] = Field(default_factory=list)


class SegmentReport(BaseModel):
    name: str
    size: int
    interests: list[tuple[str, int]]  # the top interests and how many members hold each
    b2b: int
    b2c: int
    vip: int
    stages: dict[str, int] = Field(default_factory=dict)
    content: list[ContentFit] = Field(default_factory=list)
    due: list[MemberRef] = Field(default_factory=list)  # the first few who need attention this week
    due_count: int = 0
    members: list[str] = Field(default_factory=list)  # customer ids


class Segments(BaseModel):
    as_of: dt.date
    customers: int
    method: str  # how the groups were found, in one line
    segments: list[SegmentReport] = Field(default_factory=list)
