"""private_leak: a sentence that repeats something from the customer's `## Private` notes.

A note is given away by the sensitive topic it names (health, family, a separation… the data files'
`sensitive` lists, so "heart surgery" in the note is found as "Herz-OP" in a German draft), by a name
in it, or by four of its words in a row.
"""

from __future__ import annotations

from bot.guard.context import GuardContext
from bot.guard.draft import Sentence
from bot.guard.rule import Rule
from bot.language.text import words


class PrivateLeak(Rule):
    code = "private_leak"
    prompt = "Never mention or hint at anything private about the customer that is not in the data you are given."

    def check(self, sentence: Sentence, ctx: GuardContext) -> list[str]:
        marks = ctx.private
        topics = {m.key for _lex, m in sentence.find("sensitive")} & marks.topics
        sw = words(sentence.text)
        named = set(sw) & marks.names
        shingles = {" ".join(sw[i : i + 4]) for i in range(len(sw) - 3)} & marks.shingles
        # The report says only that it happened: a private note is never echoed, not even to staff in a thread.
        return ["repeats something from their private notes"] if topics or named or shingles else []
