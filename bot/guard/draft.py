"""A draft as the guard reads it: lines of sentences, each a greeting, a body sentence or a sign-off.

The greeting line and a signature after the sign-off are read for what they
are (a greeting with a title is rewritten, a name under "Warm wishes" keeps no
draft alive); every other sentence is read in its language and checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from bot.language.claims import claims
from bot.language.lexicon import Lexicon, Match, Word, lexicons
from bot.language.links import without_links
from bot.language.sentences import split_sentences

SIGNATURE_RE = re.compile(r"^\s*[A-Z][\w'’.-]*(?:[ ,&-]+[A-Z][\w'’.-]*){0,5}\s*$")
SHORT_WORD_DOT_RE = re.compile(r"\b[A-Za-z]{1,4}\.$")  # "Mr." or "Sr." inside a greeting
GREETING_MAX = 70


@dataclass
class Sentence:
    """One sentence and the languages it is read in (empty: the guard cannot read it)."""

    text: str
    kind: str = "body"  # greeting | body | sign_off
    codes: tuple[str, ...] = ()
    unreadable: str | None = None  # why it cannot be checked ("written in Italian")
    sure: bool = False  # its language was told from its own words
    drop: bool = False
    _words: dict[str, list[Word]] = field(default_factory=dict, repr=False)

    def words(self, code: str) -> list[Word]:
        if code not in self._words:
            self._words[code] = lexicons()[code].words(self.text)
        return self._words[code]

    def find(self, table: str, codes: tuple[str, ...] | None = None) -> list[tuple[Lexicon, Match]]:
        """Matches of one data-file table in the sentence, in its languages (or those given)."""
        known = lexicons()
        return [
            (known[code], m)
            for code in (self.codes if codes is None else codes)
            for m in known[code].find(table, self.words(code))
        ]

    @cached_property
    def claims(self) -> dict[str, str]:
        # Offers in every language's lists when the sentence's own language is not certain ("Rabatt" in an
        # English draft), else in its own: "sale" is Spanish for "comes out".
        every = tuple(lexicons())
        offer_codes = self.codes if self.sure and self.codes else every
        text = without_links(self.text)
        return claims(text, self.codes or every, offer_codes=offer_codes, ranges=True)

    def said(self, lex: Lexicon, m: Match) -> str:
        words = self.words(lex.code)
        return self.text[words[m.first].start : words[m.last - 1].end]


def _anchored(table: str, text: str) -> list[Match]:
    return [m for lex in lexicons().values() for m in lex.find(table, lex.words(text), anchored=True)]


@lru_cache(maxsize=4096)  # greetings and sign-offs repeat from draft to draft
def greeting_span(line: str) -> str | None:
    """The salutation that opens a line ("Hi Ava," / "Sehr geehrte Frau Stroud,"), or None."""
    if not _anchored("greetings", line):
        return None
    out = []
    for ch in line[: GREETING_MAX + 1]:
        out.append(ch)
        if ch in ",!:\n":
            break
        if ch in ".?" and not SHORT_WORD_DOT_RE.search("".join(out)):
            return None  # a sentence, not a salutation: "Hi Ava. Thanks for…"
    span = "".join(out)
    whole_line = len(span) == len(line)
    return span if span.rstrip().endswith((",", "!", ":")) or whole_line else None


@lru_cache(maxsize=4096)
def is_sign_off(text: str) -> bool:
    """A line that is only a sign-off ("Warm wishes," / "Mit freundlichen Grüßen")."""
    for lex in lexicons().values():
        words = lex.words(text)
        found = lex.find("sign_offs", words, anchored=True)
        if words and any(m.last == len(words) for m in found):
            return True
    return False


def split(text: str, code: str | None) -> list[list[Sentence]]:
    lines: list[list[Sentence]] = []
    greeted = signed = False
    for line in text.splitlines():
        parts: list[Sentence] = []
        rest = line
        if signed and SIGNATURE_RE.match(line):
            lines.append([Sentence(line.strip(), "sign_off")])  # "Sam" or "Sam, Northwind Coffee" after it
            continue
        if not greeted and line.strip():
            greeted = True
            span = greeting_span(line.lstrip())
            if span:
                parts.append(Sentence(span.strip(), "greeting"))
                rest = line.lstrip()[len(span) :]
        if rest.strip() and is_sign_off(rest):
            parts.append(Sentence(rest.strip(), "sign_off"))
            signed = True
        else:
            parts += [Sentence(s) for s in split_sentences(rest.strip(), code)]
        lines.append(parts)
    return lines


def join(lines: list[list[Sentence]]) -> str:
    out: list[str] = []
    for parts in lines:
        kept = [p.text for p in parts if not p.drop]
        if parts and not kept:
            continue  # the whole line went: do not leave a blank where it was
        out.append(" ".join(kept))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def body_sentences(text: str) -> list[str]:
    """The sentences of a draft between its greeting and its sign-off."""
    return [s.text for parts in split(text, None) for s in parts if s.kind == "body"]
