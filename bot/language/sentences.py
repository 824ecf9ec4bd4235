"""Sentence splitting: sentencex (Wikimedia's rule-based segmenter), then the language's own abbreviations.

sentencex knows most abbreviations and decimals; the merge below adds what it
misses in drafts ("9 a. m.", "M. Dupont", "Sr. García"): a break after a word
listed in the language file's `abbreviations`, after a lone initial, or before
a word in lower case is no sentence break.
"""

from __future__ import annotations

import re

import sentencex  # type: ignore[import-untyped]

from bot.language.lexicon import lexicons
from bot.language.text import fold

LAST_WORD_RE = re.compile(r"([^\W\d_][\w.]*)\.\s*$")
STARTS_LOWER_RE = re.compile(r"^\s*[\"'“‘(]?[^\W\d_]", re.U)


def _abbreviations(code: str | None) -> frozenset[str]:
    known = lexicons()
    codes = [code] if code in known else list(known)
    return frozenset(fold(a).rstrip(".") for c in codes for a in known[c].data.abbreviations)


def split_sentences(text: str, code: str | None = "en") -> list[str]:
    """The sentences of one line or paragraph, stripped; `code` None: the abbreviations of every language."""
    if not text.strip():
        return []
    pieces = [p for p in sentencex.segment(code or "en", text) if p.strip()]
    abbreviations = _abbreviations(code)
    merged: list[str] = []
    for piece in pieces:
        if merged and _continues(merged[-1], piece, abbreviations):
            merged[-1] = f"{merged[-1].rstrip()} {piece.strip()}"
        else:
            merged.append(piece.strip())
    return merged


ORDINAL_END_RE = re.compile(r"\b\d{1,2}\.\s*$")


def _months() -> frozenset[str]:
    return frozenset(fold(m) for lex in lexicons().values() for names in lex.data.months for m in names)


def _continues(before: str, after: str, abbreviations: frozenset[str]) -> bool:
    first_word = fold(after.strip().split(" ")[0].strip(",.")) if after.strip() else ""
    if ORDINAL_END_RE.search(before) and first_word in _months():
        return True  # "am 16. November": a German date, not a sentence end
    m = LAST_WORD_RE.search(before)
    if m:
        word = fold(m.group(1)).rstrip(".")
        if len(word) == 1 or word in abbreviations or word.split(".")[-1] in abbreviations:
            return True
    first = after.lstrip()[:1]
    return bool(first) and STARTS_LOWER_RE.match(after) is not None and first.islower()
