"""The one interface every guard rule implements (one module per violation code in `bot/guard/rules/`)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.answer import Draft, GuardCode
from bot.guard.context import GuardContext
from bot.guard.draft import Sentence


@dataclass(frozen=True)
class DraftFinding:
    """A finding about a whole draft: what was wrong, and the draft as repaired (None: dropped)."""

    detail: str
    draft: Draft | None


class Rule:
    """A rule reads a sentence (or a whole draft) and says what is wrong with it, in words for staff.

    `prompt` is how the rule is told to the language model: one or two sentences in the system
    prompt, generated from the rules themselves so the two never disagree.
    """

    code: GuardCode
    prompt: str

    def check_draft(self, draft: Draft, ctx: GuardContext) -> DraftFinding | None:
        """A finding about the whole draft (its channel, say), or None."""
        return None

    def check(self, sentence: Sentence, ctx: GuardContext) -> list[str]:
        """Why this sentence breaks the rule (empty when it does not)."""
        return []
