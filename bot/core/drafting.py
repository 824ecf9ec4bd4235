"""The seam between the rules and a language model: what a drafter is given and gives back.

The services call a `Drafter` with a plan the rules already made; the model adapter (bot/llm)
implements it. Both import this module, so neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bot.core.answer import Draft, Usage, Violation
from bot.core.plan import DraftPlan, Intent, Purpose

Style = str  # "shorter" | "formal" | "warmer" | "regenerate" | "language:<name>"
STYLES = ("shorter", "formal", "warmer", "regenerate")


class DrafterUnavailable(RuntimeError):
    """The language model could not produce usable drafts; the message is safe to show.

    `usage`: the tokens the failed call spent, when the server got as far as answering.
    """

    def __init__(self, message: str, usage: Usage | None = None) -> None:
        super().__init__(message)
        self.usage = usage


@dataclass(frozen=True)
class ModelReading:
    """How the model read the request (it proposes; lookup and the consent rules dispose)."""

    intent: Intent
    purpose: Purpose | None = None
    customer_message: str | None = None  # the customer's own words, as the model found them in the request


@dataclass
class DrafterResult:
    drafts: list[Draft]
    usage: Usage
    reading: ModelReading | None = None
    rejected: list[Violation] = field(default_factory=list)  # model drafts dropped before the guard (unusable)


class Progress(Protocol):
    """What a slow answer tells the person waiting (Slack: assistant status and a streamed message)."""

    def status(self, text: str) -> None:
        """A short line about what is happening now ("Reading Jane's history…")."""

    def partial(self, text: str) -> None:
        """The first draft so far, as the model writes it; only text the guard has already passed."""


class NoProgress:
    def status(self, text: str) -> None:
        return None

    def partial(self, text: str) -> None:
        return None


NO_PROGRESS = NoProgress()


class Drafter(Protocol):
    """Words drafts with a language model from a plan the rules already made."""

    def draft(self, plan: DraftPlan, progress: Progress = NO_PROGRESS) -> DrafterResult: ...

    def refine(self, plan: DraftPlan, draft: Draft, style: str) -> DrafterResult: ...
