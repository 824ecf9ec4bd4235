"""The answer Rapport gives to a question: the JSON of `rapport ask --json` (DESIGN.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from bot.core.portfolio import Stage
from bot.knowledge.models import Channel

WarningCode = Literal[
    "customer_not_found",
    "ambiguous_customer",
    "marketing_opt_out",
    "no_contact",
    "contact_too_soon",
    "contact_overdue",
    "channel_not_allowed",
    "unanswered_message",
    "llm_unavailable",
]
GuardCode = Literal[
    "unsupported_claim",
    "avoided_topic",
    "private_leak",
    "other_customer",
    "gendered_address",
    "channel_not_allowed",
    "cannot_verify",  # a sentence the guard cannot read (a language or script it has no lists for)
    "unusable_draft",  # a model draft that is not a message to this customer (the quality floor, bot/llm)
]


class CustomerRef(BaseModel):
    id: str
    name: str
    preferred_name: str


class Candidate(BaseModel):
    id: str
    name: str
    score: float


class Draft(BaseModel):
    text: str
    channel: Channel
    sources: list[str] = Field(default_factory=list)


class ContentIdea(BaseModel):
    path: str
    title: str
    url: str | None = None
    source: str
    reason: str


class Warning(BaseModel):
    code: WarningCode
    message: str


class Violation(BaseModel):
    code: GuardCode
    detail: str


class GuardReport(BaseModel):
    checked: int = 0
    dropped: int = 0
    violations: list[Violation] = Field(default_factory=list)


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    estimated: bool = False  # the server reported none: counted from the prompt's length and the tokens streamed


class Cadence(BaseModel):
    """Contact facts shown on the customer card (not part of DESIGN's JSON contract, an addition)."""

    last_contact: str | None = None
    next_allowed: str | None = None
    frequency: str
    accepts_outreach: bool = True
    overdue: bool = False
    too_soon: bool = False


class Fact(BaseModel):
    """A passage that answers the question, for staff: playbook (staff-only marked) or the customer's facts."""

    text: str
    source: str
    staff_only: bool = False


class MessageRef(BaseModel):
    text: str
    origin: Literal["pasted", "thread", "shortcut", "history"]
    source: str | None = None


class ReadingInfo(BaseModel):
    """Why the request was read as it was (`intent`), and the customer's words it answers."""

    why: str = ""
    sure: bool = True
    message: MessageRef | None = None


class Answer(BaseModel):
    mode: Literal["llm", "offline"] = "offline"
    question: str = ""
    intent: Literal["reply", "outreach", "fact"] = "reply"
    purpose: Literal["check_in", "share_content", "renewal", "perk", "advocacy", "preferences"] | None = None
    reading: ReadingInfo = Field(default_factory=ReadingInfo)
    customer: CustomerRef | None = None
    candidates: list[Candidate] = Field(default_factory=list)
    drafts: list[Draft] = Field(default_factory=list)
    content_ideas: list[ContentIdea] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # for staff: what to check before sending, what was not drafted
    warnings: list[Warning] = Field(default_factory=list)
    guard: GuardReport = Field(default_factory=GuardReport)
    cadence: Cadence | None = None
    stage: Stage | None = None  # the relationship stage and why (services/stage.py)
    usage: Usage | None = None

    def codes(self) -> list[str]:
        return [w.code for w in self.warnings]
