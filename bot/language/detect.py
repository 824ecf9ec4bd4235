"""Which language a text is in, and whether it is one the guard has word lists for.

py3langid (a maintained fork of langid.py, its model inside the wheel) ranks
about 200 languages. Its close relatives are hard to tell apart on a short
text ("Disfrute del café." comes out Venetian, just ahead of Spanish), so a
text counts as one of ours when our best language scores at least half of the
winner's. A text too short to judge (under MIN_WORDS words) is `unsure`: the
guard then reads it as the rest of its draft, or with every language's lists.
A text whose letters are not in the Latin script cannot be read at all.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from bot.language.lexicon import lexicons

MIN_WORDS = 4  # fewer words than this and the detector is guessing
CLOSE = 0.5  # our best language within this share of the winner's score: a close relative, read as ours
SURE = 0.5  # a winner below this probability on a text of MIN_WORDS or more is a guess
WORD_RE = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class Detected:
    code: str | None  # one of ours, or None
    other: str | None = None  # the language it is in when not one of ours ("it"), or "script" for unreadable letters
    sure: bool = True

    @property
    def ours(self) -> bool:
        return self.code is not None


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def foreign_letters(text: str) -> list[str]:
    """Letters outside the Latin script (after look-alikes were made Latin): the guard cannot read them."""
    return [ch for ch in text if ch.isalpha() and not ch.isascii() and "LATIN" not in unicodedata.name(ch, "")]


@lru_cache(maxsize=16384)
def detect(text: str) -> Detected:
    """The language of a text; `sure` is False when it is too short or too close to call."""
    if foreign_letters(text):
        return Detected(None, "script")
    ours = set(lexicons())
    if len(WORD_RE.findall(text)) < MIN_WORDS:
        return Detected(None, sure=False)
    ranked: list[tuple[str, float]] = _identifier().rank(text)
    top, p_top = ranked[0]
    best = next(((lang, p) for lang, p in ranked if lang in ours), None)
    if top in ours:
        return Detected(top, sure=p_top >= SURE)
    if best is not None and best[1] >= CLOSE * p_top:
        return Detected(best[0], sure=False)
    return Detected(None, top, sure=p_top >= SURE)
