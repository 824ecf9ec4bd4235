"""Follow-ups in a conversation with Rapport: "make it shorter" refines the last draft it posted.

A message is a follow-up only when all three hold, so a new question is never mistaken for one:
1. it asks for one of the four refinements the draft menu offers (the words below, a closed list
   matching the menu: shorter, more formal, warmer, another version);
2. it names no customer (no name, email, id or company that lookup finds);
3. Rapport posted a draft earlier in this thread (or, in a DM without threads, recently in the DM).
The draft itself is read back from the state its *Log as sent* button carries, like a menu click.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bot.slack.constants import ACTION_LOG_SENT
from bot.slack.payloads import DraftState, parse_state

# The menu's four refinements, as people ask for them of a draft: comparatives and instructions only
# ("short", "warm", "again", "different" say too much else). Whole words or phrases; the first named wins.
STYLE_CUES: dict[str, tuple[str, ...]] = {
    "shorter": ("shorter", "shorten", "briefer", "more concise", "less long", "cut it down", "trim it"),
    "formal": ("more formal", "formal", "formally", "more professional"),
    "warmer": ("warmer", "friendlier", "kinder", "softer", "more personal", "less formal"),
    "regenerate": ("regenerate", "rewrite", "redo", "try again", "another one", "another version", "once more"),
}
MAX_WORDS = 12  # a follow-up is a short instruction, not a new question with a story
WORD_RE = re.compile(r"[a-z']+")


def requested_style(text: str) -> str | None:
    """The refinement a short message asks for, or None."""
    words = WORD_RE.findall(text.lower())
    if not words or len(words) > MAX_WORDS:
        return None
    padded = f" {' '.join(words)} "
    found = [
        (padded.find(f" {cue} "), style) for style, cues in STYLE_CUES.items() for cue in cues if f" {cue} " in padded
    ]
    return min(found)[1] if found else None


def draft_state_of(message: dict[str, Any]) -> DraftState | None:
    """The first draft in one of Rapport's messages, from its *Log as sent* button."""
    for block in message.get("blocks") or []:
        if block.get("type") != "actions":
            continue
        for element in block.get("elements") or []:
            if element.get("action_id") == ACTION_LOG_SENT:
                return parse_state(DraftState, str(element.get("value") or ""))
    return None


def last_draft(messages: Iterable[dict[str, Any]], bot_id: str | None, newest_first: bool = False) -> DraftState | None:
    """The draft Rapport posted most recently among these messages (its own posts only)."""
    ordered = list(messages) if newest_first else list(reversed(list(messages)))
    for message in ordered:
        if bot_id and message.get("bot_id") != bot_id:
            continue
        state = draft_state_of(message)
        if state is not None:
            return state
    return None
