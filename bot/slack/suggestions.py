"""Suggested prompts for a new conversation with Rapport (the agent DM): who needs an answer now.

Taken from the knowledge folder, never hard-coded: customers whose latest message to us has no
reply yet (the services' `unanswered_message` rule; oldest waiting first), then customers overdue
for the contact they asked for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from bot.knowledge.models import Customer
from bot.services.cadence import contact_state
from bot.services.reading import unanswered_entry
from bot.slack.blocks import clip
from bot.slack.constants import MAX_SUGGESTED_PROMPTS

TITLE_CHARS = 40


def suggested_prompts(customers: Iterable[Customer], today: dt.date) -> list[dict[str, str]]:
    people = list(customers)
    waiting = sorted(
        ((c, e) for c in people if (e := unanswered_entry(c)) is not None), key=lambda pair: (pair[1].date, pair[0].id)
    )
    prompts = [
        {
            "title": clip(f"Answer {c.display_name}", TITLE_CHARS),
            "message": f"How should I answer {c.name}'s latest message?",
        }
        for c, _ in waiting[:2]
    ]
    answered = {c.id for c, _ in waiting[:2]}
    for c in sorted(people, key=lambda c: c.id):
        if len(prompts) >= MAX_SUGGESTED_PROMPTS:
            break
        state = contact_state(c, today)
        if c.id not in answered and state.overdue and state.accepts_outreach:
            prompts.append(
                {
                    "title": clip(f"Check in with {c.display_name}?", TITLE_CHARS),
                    "message": f"Should I check in with {c.name}?",
                }
            )
    return prompts[:MAX_SUGGESTED_PROMPTS]
