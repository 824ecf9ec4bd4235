"""cannot_verify: a sentence the guard cannot read is never passed unchecked (it fails closed)."""

from __future__ import annotations

from bot.guard.context import GuardContext
from bot.guard.draft import Sentence
from bot.guard.rule import Rule
from bot.language.lexicon import lexicons


class CannotVerify(Rule):
    code = "cannot_verify"

    @property
    def prompt(self) -> str:  # type: ignore[override]
        names = ", ".join(lex.name for lex in lexicons().values())
        return (
            f"Write in the language you are asked for. Drafts are checked in {names}; a sentence in any other "
            "language or script cannot be checked and is removed."
        )

    def check(self, sentence: Sentence, ctx: GuardContext) -> list[str]:
        if sentence.unreadable:
            return [f"is {sentence.unreadable}, which the guard cannot check"]
        return []
