"""The checkable claims of a text: its values (bot.language.values) and the offers and promises it makes.

An atom is how a claim is compared, the same in every language: `money:gbp:10`,
`pct:20`, `qty:14:day`, `date:11-24`, `weekday:tuesday`, `when:tomorrow`, and
`offer:<kind>` for a kind of offer or promise from the data files' `claims`
("Rabatt", "remise", "descuento" and "discount" are all `offer:discount`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from bot.language.detect import detect
from bot.language.lexicon import Lexicon, Word, lexicons
from bot.language.sentences import split_sentences
from bot.language.text import clean
from bot.language.values import read_values, reader

OFFER_ATOMS = ("offer:", "pct:", "money:")  # claims that make an offer, or give its amount
PROMO_CODE_RE = re.compile(r"\b(?:code|codigo|kode)\s*:?\s*[\"'“‘]?[a-z]*\d[a-z\d]*\b")


def languages_of(text: str) -> tuple[str, ...]:
    """The languages to read a text in: its own when the detector knows it, else every one we have."""
    found = detect(text)
    return (found.code,) if found.code and found.sure else tuple(lexicons())


def offers(lex: Lexicon, words: list[Word]) -> dict[str, str]:
    """Offer and promise kinds a text makes, by the language's `claims` lists (minus its `not_claims`);
    every kind any phrase finds ("Bestpreisgarantie" is a warranty and a price match)."""
    masked = lex.find("not_claims", words)
    found: dict[str, str] = {}
    for m in lex.find("claims", words, overlapping=True):
        if any(m.first < n.last and n.first < m.last for n in masked):
            continue
        found.setdefault(f"offer:{m.key}", " ".join(w.lower for w in words[m.first : m.last]))
    return found


def claims(
    text: str, codes: Iterable[str] | None = None, offer_codes: Iterable[str] | None = None, ranges: bool = False
) -> dict[str, str]:
    """Checkable claims in the text: an atom (how it is compared) -> the words as written.

    Values are read in `codes` (default: the text's own language); offers in `offer_codes` (default: the
    same), which the guard widens to every language so a "Rabatt" in an English draft is still an offer.
    """
    known = lexicons()
    codes = tuple(codes) if codes is not None else languages_of(text)
    found: dict[str, str] = {}
    for code in codes:
        found |= read_values(text, code, ranges)
    for code in offer_codes if offer_codes is not None else codes:
        lex = known[code]
        # Read as written ("un avoir") and with numbers as digits ("twenty percent off" is "20 % off").
        found |= offers(lex, lex.words(clean(text))) | offers(lex, lex.words(reader(code).normalise(text)))
    for m in PROMO_CODE_RE.finditer(text.lower()):
        found["offer:code"] = m.group()
    return found


@lru_cache(maxsize=16384)
def claim_atoms(text: str) -> frozenset[str]:
    """The claims of a fact (playbook passage, history entry), cached: the same facts back every answer."""
    return frozenset(claims(text))


# -- what a passage lets a draft say ----------------------------------------------------


def is_guidance(lex: Lexicon, sentence: str) -> bool:
    """A sentence that instructs staff ("Staff must not promise a discount") or is an aside for them."""
    words = lex.words(sentence)
    if lex.find("asides", words) or lex.find("openers", words, anchored=True):
        return True
    return bool(lex.find("prohibitions", words)) and bool(lex.find("actions", words))


def is_follow_up(lex: Lexicon, sentence: str) -> bool:
    """A sentence that promises to come back to the customer."""
    return bool(lex.find("follow_up", lex.words(sentence)))


@lru_cache(maxsize=16384)
def fact_claims(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """What a fact lets a draft claim: (the claims of its sentences that are not guidance to staff,
    the claims of its follow-up promises, which back only a follow-up)."""
    codes = languages_of(text)
    lexes = [lexicons()[c] for c in codes]
    stated: set[str] = set()
    promised: set[str] = set()
    for line in text.splitlines():
        for sentence in split_sentences(line, codes[0] if len(codes) == 1 else None):
            if any(is_guidance(lex, sentence) for lex in lexes):
                continue
            atoms = claims(sentence, codes, ranges=True)
            if any(is_follow_up(lex, sentence) for lex in lexes):
                promised |= atoms.keys()
            else:
                stated |= atoms.keys()
    return frozenset(stated), frozenset(promised)
