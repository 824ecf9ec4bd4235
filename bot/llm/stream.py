"""The first draft as it streams, shown only a sentence at a time and only while it passes the floor.

A local model on a CPU may take thirty seconds to write a draft; showing it as it comes keeps the
wait alive. What is shown is never half a sentence, never a greeting to someone else, and never a
sentence the quality floor would drop for its form (bot/llm/floor.py): once one fails, nothing more
is shown and the final answer replaces it. The Assistant's `Progress` then passes it through the guard.
"""

from __future__ import annotations

import re

from bot.core.drafting import Progress
from bot.llm.floor import FloorInput, body, greeting_problem, sentence_problem
from bot.llm.parse import first_draft_text

BOUNDARY_RE = re.compile(r"(?:(?<=[.!?])\s|\n)")


class PartialDraft:
    def __init__(self, given: FloorInput, progress: Progress, name: str) -> None:
        self.given, self.progress, self.name = given, progress, name
        self.shown = ""
        self.passed = 0  # body sentences already checked
        self.started = False
        self.frozen = False

    def on_text(self, content: str) -> None:
        if not self.started:
            self.started = True
            self.progress.status(f"Writing to {self.name}…")
        if self.frozen:
            return
        text = first_draft_text(content) or ""
        ends = [m.start() for m in BOUNDARY_RE.finditer(text)]
        prefix = text[: ends[-1]].rstrip() if ends else ""
        if len(prefix) <= len(self.shown):
            return
        if greeting_problem(prefix, self.given.customer) or sentence_problem(prefix.splitlines()[0], self.given):
            self.frozen = True
            return
        sentences = body(prefix)
        if any(sentence_problem(s, self.given) for s in sentences[self.passed :]):
            self.frozen = True
            return
        self.passed = len(sentences)
        self.shown = prefix
        self.progress.partial(prefix)
