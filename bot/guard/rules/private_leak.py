"""private_leak: a sentence that repeats something from the customer's `## Private` notes."""

from __future__ import annotations

from bot.guard.context import GuardContext
from bot.guard.draft import Sentence
from bot.guard.rule import Rule
from bot.language.text import stems, words


class PrivateLeak(Rule):
    code = "private_leak"
    prompt = "Never mention or hint at anything private about the customer that is not in the data you are given."

    def check(self, sentence: Sentence, ctx: GuardContext) -> list[str]:
        have = stems(sentence.text)
        hits = [w for w in ctx.private_words if w in have]
        sw = words(sentence.text)
        shingles = {" ".join(sw[i : i + 4]) for i in range(len(sw) - 3)} & ctx.private_shingles
        # The report says only that it happened: a private note is never echoed, not even to staff in a thread.
        return ["repeats something from their private notes"] if hits or shingles else []
