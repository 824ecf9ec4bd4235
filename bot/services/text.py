"""The text helpers now live in the language layer (`bot.language.text`); re-exported for the services."""

from __future__ import annotations

from bot.language.text import (
    COMMON_WORDS,
    EMAIL_RE,
    INTERNAL_ASIDES,
    NAME_WORD_RE,
    QUESTION_WORDS,
    SENTENCE_RE,
    capitalised_words,
    fold,
    key_stems,
    stem,
    stems,
    touches,
    words,
)

__all__ = [
    "COMMON_WORDS",
    "EMAIL_RE",
    "INTERNAL_ASIDES",
    "NAME_WORD_RE",
    "QUESTION_WORDS",
    "SENTENCE_RE",
    "capitalised_words",
    "fold",
    "key_stems",
    "stem",
    "stems",
    "touches",
    "words",
]
