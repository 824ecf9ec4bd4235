"""One language's word lists (`bot/language/data/<code>.yaml`) and a phrase matcher over them.

A phrase is matched on the words of a text, each compared by its Snowball stem
(so one form covers its inflections), by a glob on the folded word (`*rabatt*`
for German compounds), or exactly (`=él`). `..` stands for up to three words
and `#` for a number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import snowballstemmer  # type: ignore[import-untyped]
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.language.text import fold

DATA_DIR = Path(__file__).parent / "data"
GAP = 3  # words a `..` may stand for
TOKEN_RE = re.compile(r"[^\W_]+")


class LexiconError(ValueError):
    """A language data file is missing, unreadable or has a bad field (the message names file and field)."""


# -- the data file --------------------------------------------------------------------


class Currency(BaseModel):
    model_config = ConfigDict(extra="forbid")
    symbols: list[str] = Field(default_factory=list)
    words: list[str] = Field(default_factory=list)
    minor: list[str] = Field(default_factory=list)  # a hundredth: pence, cents


class MoneyWord(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: float
    currency: str


class Unit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    measure: str  # what is compared: day, month, kg, bag...
    factor: Fraction  # how many of `measure` one of this unit is ("1/24" for an hour in days)
    words: list[str]

    @field_validator("factor", mode="before")
    @classmethod
    def _fraction(cls, value: object) -> Fraction:
        try:
            return Fraction(str(value))
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"factor {value!r} is not a number or a fraction like 1/24") from None


class Guidance(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prohibitions: list[str] = Field(default_factory=list)
    actions: list[str] = Field(default_factory=list)
    openers: list[str] = Field(default_factory=list)
    asides: list[str] = Field(default_factory=list)


class LanguageData(BaseModel):
    """The schema of a language file; see en.yaml for what each field is for."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z]{2,3}$")
    name: str
    snowball: str
    numbers: str | None = None
    decimal_comma: bool = False
    abbreviations: list[str] = Field(default_factory=list)
    function_words: list[str] = Field(default_factory=list)  # a closed class: no word of substance
    greetings: list[str]
    neutral_greeting: str = Field(pattern=r"\{name\}")
    sign_offs: list[str]
    follow_up: list[str] = Field(default_factory=list)
    guidance: Guidance = Field(default_factory=Guidance)
    claims: dict[str, list[str]]
    not_claims: list[str] = Field(default_factory=list)
    selling: list[str] = Field(default_factory=list)
    percent: list[str] = Field(default_factory=list)
    percent_phrases: dict[float, list[str]] = Field(default_factory=dict)
    currencies: dict[str, Currency]
    money_words: dict[str, MoneyWord] = Field(default_factory=dict)
    counts: dict[str, float] = Field(default_factory=dict)
    idioms: dict[str, str] = Field(default_factory=dict)
    one: list[str] = Field(default_factory=list)
    within: list[str] = Field(default_factory=list)
    rate_words: list[str] = Field(default_factory=list)
    wishes: list[str] = Field(default_factory=list)
    units: dict[str, Unit]
    range_words: list[str] = Field(default_factory=list)
    unit_qualifiers: list[str] = Field(default_factory=list)
    within_only_units: list[str] = Field(default_factory=list)  # unit words that are durations only after `within`
    past_before: list[str] = Field(default_factory=list)
    past_after: list[str] = Field(default_factory=list)
    possessives: list[str] = Field(default_factory=list)
    ordinal_suffixes: list[str] = Field(default_factory=list)
    date_joiners: list[str] = Field(default_factory=list)
    day_first: bool = True
    months: list[list[str]] = Field(min_length=12, max_length=12)
    weekdays: list[str | list[str]] = Field(min_length=7, max_length=7)
    relative: dict[str, list[str]] = Field(default_factory=dict)
    not_values: list[str] = Field(default_factory=list)
    titles: list[str]
    titles_before_name: list[str] = Field(default_factory=list)
    gendered_words: list[str] = Field(default_factory=list)
    gendered_greetings: dict[str, list[str]] = Field(default_factory=dict)
    pronouns: dict[str, list[str]] = Field(default_factory=dict)
    third_person: dict[str, list[str]] = Field(default_factory=dict)
    channels: dict[str, list[str]]
    topics: dict[str, list[str]] = Field(default_factory=dict)
    sensitive: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("snowball")
    @classmethod
    def _known_stemmer(cls, value: str) -> str:
        if value not in snowballstemmer.algorithms():
            raise ValueError(f"no Snowball stemmer '{value}' (known: {', '.join(snowballstemmer.algorithms())})")
        return value


# -- phrases --------------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    """A word of a text: as written (lower case), folded, stemmed, and where it is."""

    lower: str
    folded: str
    stem: str
    start: int
    end: int
    text: str = ""  # as written


@dataclass(frozen=True)
class Match:
    key: str
    first: int  # word indexes, end exclusive
    last: int
    start: int  # character offsets in the text
    end: int
    phrase: str = ""  # the data-file entry that matched


@dataclass(frozen=True)
class _Piece:
    kind: str  # stem | glob | exact | gap
    value: str = ""
    pattern: re.Pattern[str] | None = None


Alternatives = tuple[_Piece, ...]


@dataclass(frozen=True)
class Phrase:
    key: str
    text: str
    pieces: tuple[Alternatives, ...]


class PhraseTable:
    """Phrases under keys ("discount": [...]) matched against a text's words, longest first."""

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        self.phrases = list(phrases)
        # Phrases indexed by what their first word must be, so a text's words look them up, not the reverse.
        self._first: dict[tuple[str, str], list[Phrase]] = {}  # (stem|exact|case|number, value)
        self._globs: list[tuple[re.Pattern[str], Phrase]] = []
        self._glob_cache: dict[str, list[Phrase]] = {}
        for p in self.phrases:
            for alt in p.pieces[0]:
                if alt.kind == "glob" and alt.pattern is not None:
                    self._globs.append((alt.pattern, p))
                else:
                    self._first.setdefault((alt.kind, alt.value), []).append(p)

    def _starting_at(self, word: Word) -> list[Phrase]:
        """The phrases whose first piece this word matches (every field of a word follows from its text)."""
        cached = self._glob_cache.get(word.text)
        if cached is not None:
            return cached
        found = [
            *self._first.get(("stem", word.stem), ()),
            *self._first.get(("exact", word.lower), ()),
            *self._first.get(("case", word.text), ()),
            *(self._first.get(("number", ""), ()) if word.folded.isdigit() else ()),
        ]
        found += [p for pattern, p in self._globs if pattern.fullmatch(word.folded)]
        found = list(dict.fromkeys(found))
        if len(self._glob_cache) > 50_000:
            self._glob_cache.clear()
        self._glob_cache[word.text] = found
        return found

    def __bool__(self) -> bool:
        return bool(self.phrases)

    def find(self, words: list[Word], anchored: bool = False, overlapping: bool = False) -> list[Match]:
        """Non-overlapping matches, longest first (`anchored`: only at the first word; `overlapping`: all)."""
        found: list[Match] = []
        starts = range(1 if anchored else len(words))
        for i in starts:
            if i >= len(words):
                break
            for phrase in self._starting_at(words[i]):
                end = _match(phrase.pieces, words, i)
                if end is not None and end > i:
                    found.append(Match(phrase.key, i, end, words[i].start, words[end - 1].end, phrase.text))
        if overlapping:
            return sorted(found, key=lambda m: m.first)
        found.sort(key=lambda m: (-(m.last - m.first), m.first))
        kept: list[Match] = []
        for m in found:
            if all(m.last <= k.first or m.first >= k.last for k in kept):
                kept.append(m)
        return sorted(kept, key=lambda m: m.first)

    def keys(self, words: list[Word], overlapping: bool = True) -> set[str]:
        """Every key a phrase finds, overlaps included ("Rabattcode" is a discount and a code)."""
        return {m.key for m in self.find(words, overlapping=overlapping)}


def _piece_matches(alts: Alternatives, word: Word) -> bool:
    for alt in alts:
        if alt.kind == "stem" and word.stem == alt.value:
            return True
        if alt.kind == "exact" and word.lower == alt.value:
            return True
        if alt.kind == "case" and word.text == alt.value:
            return True
        if alt.kind == "glob" and alt.pattern is not None and alt.pattern.fullmatch(word.folded):
            return True
        if alt.kind == "number" and word.folded.isdigit():
            return True
    return False


def _match(pieces: tuple[Alternatives, ...], words: list[Word], i: int) -> int | None:
    """The end of the longest match of `pieces` starting at word `i`, or None."""
    if not pieces:
        return i
    head, rest = pieces[0], pieces[1:]
    if head[0].kind == "gap":
        for skip in range(GAP, -1, -1):
            if i + skip <= len(words) and (end := _match(rest, words, i + skip)) is not None:
                return end
        return None
    if i < len(words) and _piece_matches(head, words[i]):
        return _match(rest, words, i + 1)
    return None


# -- one language ---------------------------------------------------------------------


class Lexicon:
    """A language's data, its stemmer, and its phrase tables, built once."""

    def __init__(self, data: LanguageData, path: Path) -> None:
        self.data = data
        self.code = data.code
        self.name = data.name
        self.path = path
        self._stemmer = snowballstemmer.stemmer(data.snowball)
        self._stems: dict[str, str] = {}
        self._words: dict[str, list[Word]] = {}
        d = data
        self.tables: dict[str, PhraseTable] = {
            "claims": self.table(d.claims),
            "not_claims": self.table({"": d.not_claims}),
            "selling": self.table({"": d.selling}),
            "channels": self.table(d.channels),
            "titles": self.table({"": d.titles}),
            "titles_before_name": self.table({"": d.titles_before_name}),
            "gendered_words": self.table({"": d.gendered_words}),
            "gendered_greetings": self.table(d.gendered_greetings),
            "pronouns": self.table(d.pronouns),
            "third_person": self.table(d.third_person),
            "wishes": self.table({"": d.wishes}),
            "topics": self.table(d.topics),
            "sensitive": self.table(d.sensitive),
            "follow_up": self.table({"": d.follow_up}),
            "prohibitions": self.table({"": d.guidance.prohibitions}),
            "actions": self.table({"": d.guidance.actions}),
            "openers": self.table({"": d.guidance.openers}),
            "asides": self.table({"": d.guidance.asides}),
            "greetings": self.table({"": d.greetings}),
            "sign_offs": self.table({"": d.sign_offs}),
            "relative": self.table(d.relative),
            "not_values": self.table({"": d.not_values}),
            "percent_phrases": self.table({_num_key(k): v for k, v in d.percent_phrases.items()}),
        }

    def stem(self, folded: str) -> str:
        got = self._stems.get(folded)
        if got is None:
            got = self._stems[folded] = str(self._stemmer.stemWord(folded))
        return got

    def words(self, text: str) -> list[Word]:
        got = self._words.get(text)
        if got is None:
            got = [
                Word(m.group().lower(), f := fold(m.group()), self.stem(f), m.start(), m.end(), m.group())
                for m in TOKEN_RE.finditer(text)
            ]
            if len(self._words) > 20_000:
                self._words.clear()
            self._words[text] = got
        return got

    def table(self, entries: dict[str, list[str]]) -> PhraseTable:
        return PhraseTable(self._phrase(key, text) for key, texts in entries.items() for text in texts)

    def _phrase(self, key: str, text: str) -> Phrase:
        pieces: list[Alternatives] = []
        for chunk in text.split():
            if chunk == "..":
                pieces.append((_Piece("gap"),))
            elif any(ch in chunk for ch in "*+=~|#"):
                pieces.append(tuple(self._piece(alt) for alt in chunk.split("|")))
            else:
                pieces += [(_Piece("stem", self.stem(fold(w))),) for w in TOKEN_RE.findall(chunk.lower())]
        if not pieces or pieces[0][0].kind == "gap" or pieces[-1][0].kind == "gap":
            raise LexiconError(f"{self.path}: phrase {text!r} under {key!r}: empty, or starts or ends with '..'")
        return Phrase(key, text, tuple(pieces))

    def _piece(self, alt: str) -> _Piece:
        if alt == "#":
            return _Piece("number")
        if alt.startswith("="):
            return _Piece("exact", alt[1:].lower())
        if alt.startswith("~"):  # exactly as written, case included: "~sie" is not the polite "Sie"
            return _Piece("case", alt[1:])
        if "*" in alt or "+" in alt:  # "*": any letters; "+": at least one ("+angebot" is a compound)
            pattern = re.escape(fold(alt)).replace(r"\*", ".*").replace(r"\+", ".+")
            return _Piece("glob", alt, re.compile(pattern))
        return _Piece("stem", self.stem(fold(alt)))

    def find(self, table: str, words: list[Word], anchored: bool = False, overlapping: bool = False) -> list[Match]:
        return self.tables[table].find(words, anchored, overlapping)


def _num_key(value: float) -> str:
    return f"{value:g}"


# -- the registry ---------------------------------------------------------------------


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML without YAML 1.1's yes/no/on/off booleans: "no" is a word in these files (Spanish, "No. 5").

    On libyaml's parser where PyYAML has it: the four word lists load in a tenth of the time, which
    every process pays once (the guard needs them for its first answer)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))


def load(path: Path) -> Lexicon:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, yaml.YAMLError) as exc:
        raise LexiconError(f"{path}: cannot read: {exc}") from exc
    try:
        data = LanguageData.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise LexiconError(f"{path}: {problems}") from None
    if data.code != path.stem:
        raise LexiconError(f"{path}: code: '{data.code}' does not match the file name")
    return Lexicon(data, path)


@lru_cache(maxsize=1)
def function_words() -> frozenset[str]:
    """Every language's function words ("much", "whether", "etwas"): they say nothing about a subject."""
    return frozenset(w.lower() for lex in lexicons().values() for w in lex.data.function_words)


@lru_cache(maxsize=1)
def lexicons() -> dict[str, Lexicon]:
    """Every language with a data file, by code, English first: the languages the guard can check."""
    paths = sorted(DATA_DIR.glob("*.yaml"), key=lambda p: (p.stem != "en", p.stem))
    return {p.stem: load(p) for p in paths}


def lexicon(code: str) -> Lexicon:
    return lexicons()[code]
