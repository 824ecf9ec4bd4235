"""How much text one request may carry: the question and the thread context are bounded at the edge.

Embedding and reading cost grow with the text (a 40 KB question took 16 s and 1.1 GB), so the CLI
and the Slack listeners cut what they pass on. A long text keeps its first and its last part (a
pasted email's question is at the top, the customer's name in the signature at the bottom), and
the person is told that it was cut.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MAX_QUESTION_CHARS = 4_000  # a long email; about four model windows of the embedding model
MAX_CONTEXT_CHARS = 4_000  # earlier messages of a Slack thread
HEAD_SHARE = 2 / 3  # of the limit kept from the start; the rest from the end
JOIN = "\n…\n"


@dataclass(frozen=True)
class Bounded:
    text: str
    original_chars: int
    limit: int
    head: int = 0
    tail: int = 0

    @property
    def cut(self) -> bool:
        return self.original_chars > self.limit

    def notice(self, what: str = "question") -> str | None:
        """One sentence for the person who asked, or None when nothing was cut."""
        if not self.cut:
            return None
        return (
            f"The {what} is {self.original_chars:,} characters, over the {self.limit:,} Rapport reads: "
            f"it read the first {self.head:,} and the last {self.tail:,}."
        )


def bound(text: str, limit: int = MAX_QUESTION_CHARS) -> Bounded:
    """`text` if it fits in `limit` characters, else its first and last parts joined by an ellipsis."""
    if len(text) <= limit:
        return Bounded(text, len(text), limit)
    room = max(limit - len(JOIN), 2)
    head = int(room * HEAD_SHARE)
    tail = room - head
    return Bounded(text[:head].rstrip() + JOIN + text[-tail:].lstrip(), len(text), limit, head, tail)


def days_after(day: dt.date, days: int) -> dt.date:
    """`day` plus `days`, or the last date there is: a date written as 9999-12-31 has no later one."""
    return day + dt.timedelta(days=days) if day <= dt.date.max - dt.timedelta(days=days) else dt.date.max
