"""Number words as digits (text2num's alpha2digit knows en, de, fr, es and more)."""

from __future__ import annotations

from text_to_num import alpha2digit  # type: ignore[import-untyped]

_EN = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"
_EN += " seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety"


def to_digits(text: str, code: str) -> str:
    """Every spelled number in `text` written as digits ("zwei Wochen" -> "2 Wochen"), small ones too."""
    return str(alpha2digit(text, code, threshold=0))


# English number words and their values, for code that reads one word at a time ("within two days").
NUMBER_WORDS: dict[str, int] = {w: int(to_digits(w, "en")) for w in _EN.split()}
