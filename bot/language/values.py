"""Values in a text, read into comparable atoms: money, percentages, durations, counts, dates.

"£10", "ten pounds" and "a tenner" all read `money:gbp:10`; "a fortnight",
"14 days" and "two weeks" read `qty:14:day`; "48 Stunden" reads `qty:2:day`;
"3. Mai", "3 May" and "2026-05-03" read `date:5-3`. Number words become digits
with text2num first; everything else comes from the language's data file.
A duration said of the past ("the last two weeks", "vor zwei Wochen") and a
weekday after "your" ("your Monday") are small talk, not claims.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, cached_property

from bot.language.lexicon import Lexicon, lexicons
from bot.language.numbers import to_digits
from bot.language.text import clean, fold

NUM = r"\d+(?:[.,\u00a0\u202f]\d{3})*(?:[.,]\d+)?"
WEEKDAY_KEYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DASHES = r"-|–|—"


def alternation(words: list[str]) -> str:
    """Longest first, each word folded and escaped, spaces matching any run of spaces or hyphens."""
    parts = sorted({fold(w) for w in words if w}, key=len, reverse=True)
    return "|".join(re.escape(p).replace(r"\ ", r"[\s-]+").replace(r"\*", r"\w*") for p in parts) or "(?!)"


def number_text(value: float | Fraction) -> str:
    """A value as an atom shows it: 10, 10.5, 0.0833 (four decimals at most)."""
    return f"{float(value):.4f}".rstrip("0").rstrip(".")


def parse_number(text: str, decimal_comma: bool) -> float | None:
    """'1,250.50' or '1.250,50' or '10.50' (in either convention: a separator before 3 digits groups them)."""
    raw = text.replace("\u00a0", "").replace("\u202f", "")
    seps = [ch for ch in raw if ch in ".,"]
    if not seps:
        return float(raw)
    decimal = seps[-1]
    if len(set(seps)) == 1:
        grouped = re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", raw) is not None
        thousands_char = "." if decimal_comma else ","
        if len(seps) > 1 or (grouped and decimal == thousands_char):
            return float(raw.replace(decimal, ""))
    whole, _, frac = raw.rpartition(decimal)
    return float(f"{re.sub(r'[.,]', '', whole)}.{frac}")


def _accented(phrase: str) -> str:
    """A folded phrase as a pattern that also matches it written with accents ("quince dias" ~ "quince días")."""
    out = []
    for ch in phrase:
        if ch.isalpha():
            variants = {ch} | {c for c in _LATIN if fold(c) == ch}
            out.append("[" + "".join(sorted(variants)) + "]")
        elif ch == " ":
            out.append(r"[\s-]+")
        else:
            out.append(re.escape(ch))
    return "".join(out)


_LATIN = [chr(i) for i in range(0xC0, 0x180) if chr(i).isalpha() and len(fold(chr(i))) == 1]


@dataclass
class Reader:
    """The value patterns of one language, compiled once."""

    lex: Lexicon

    @cached_property
    def patterns(self) -> dict[str, re.Pattern[str]]:
        d = self.lex.data
        symbols = [s for c in d.currencies.values() for s in c.symbols]
        cur_words = [w for c in d.currencies.values() for w in c.words]
        minor = [w for c in d.currencies.values() for w in c.minor]
        unit_words = [w for u in d.units.values() for w in u.words]
        months = [m for names in d.months for m in names]
        weekdays = [w for day in d.weekdays for w in ([day] if isinstance(day, str) else day)]
        ordinal = alternation(d.ordinal_suffixes)
        joiners = alternation(d.date_joiners)
        rng = rf"\s?(?:{DASHES})\s?|\s+(?:{alternation(d.range_words)})\s+"
        qualifiers = alternation(d.unit_qualifiers)
        sym = "|".join(re.escape(s) for s in sorted(symbols, key=len, reverse=True))
        return {
            "idioms": re.compile("|".join(rf"\b{_accented(fold(k))}\b" for k in d.idioms) or "(?!)"),
            "percent": re.compile(rf"\b(?:{'|'.join(_accented(fold(w)) for w in d.percent) or '(?!)'})\b"),
            "counts": re.compile("|".join(rf"\b{_accented(fold(k))}\b" for k in d.counts) or "(?!)"),
            "sym_money": re.compile(rf"({sym})\s?({NUM})\s?(k|m)?\b|({NUM})\s?({sym})"),
            "word_money": re.compile(rf"(?<![\w.,])({NUM})\s?(k\s?)?(?:(?:de|d)\s)?({alternation(cur_words)})\b"),
            "code_money": re.compile(rf"\b({'|'.join(d.currencies)})\s?({NUM})\b"),
            "minor_money": re.compile(rf"(?<![\w.,])({NUM})\s?({alternation(minor)})\b"),
            "one_word_money": re.compile(rf"\b({alternation(list(d.money_words))})\b"),
            "pct": re.compile(rf"({NUM})\s*%"),
            "qty": re.compile(
                rf"(?<![\w.,])(?:({NUM})(?:(?:{rng})({NUM}))?|({alternation(d.one)}))[\s-]*"
                rf"(?:(?:{qualifiers})[\s-]+)*({alternation(unit_words)})\b"
            ),
            "iso": re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"),
            "slash": re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/\d{2,4})?\b"),
            "dotted": re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(?:\d{2,4})?(?!\d)" if d.decimal_comma else "(?!)"),
            "day_month": re.compile(
                rf"\b(\d{{1,2}})(?:\s?(?:{ordinal}))?\.?\s*(?:(?:{joiners})\s+)*({alternation(months)})\b\.?"
            ),
            "month_day": re.compile(rf"\b({alternation(months)})\.?\s+(\d{{1,2}})(?:{ordinal})?\b"),
            "weekday": re.compile(rf"\b({alternation(weekdays)})s?\b"),
            "past_before": re.compile(rf"\b(?:{alternation(d.past_before)})[\s-]+$"),
            "more_after": re.compile(rf"[\s-]+(?:{qualifiers})\b"),  # "un año más": one more is a claim
            "within": re.compile(rf"\b(?:{alternation(d.within)})(?:\s+\S+){{0,2}}[\s'’]+$"),
            "rate": re.compile(
                rf"(?:\b(?:{alternation(d.rate_words)})|\d|{sym or '(?!)'}|\b(?:{alternation(cur_words)}))\s+$"
            ),
            "past_after": re.compile(rf"^[\s-]*(?:{alternation(d.past_after)})\b"),
            "possessive": re.compile(rf"\b(?:{alternation(d.possessives)})\s+$"),
        }

    @cached_property
    def lookups(self) -> dict[str, dict[str, str]]:
        d = self.lex.data
        return {
            "symbol": {s: c for c, cur in d.currencies.items() for s in cur.symbols},
            "word": {fold(w): c for c, cur in d.currencies.items() for w in cur.words},
            "minor": {fold(w): c for c, cur in reversed(d.currencies.items()) for w in cur.minor},
            "month": {fold(m): str(i + 1) for i, names in enumerate(d.months) for m in names},
            "weekday": {
                fold(w): WEEKDAY_KEYS[i]
                for i, day in enumerate(d.weekdays)
                for w in ([day] if isinstance(day, str) else day)
            },
        }

    @cached_property
    def units(self) -> dict[str, tuple[str, Fraction]]:
        out: dict[str, tuple[str, Fraction]] = {}
        for unit in self.lex.data.units.values():
            for w in unit.words:
                out[fold(w)] = (unit.measure, unit.factor)
        return out

    def unit_of(self, word: str) -> tuple[str, Fraction]:
        word = re.sub(r"[\s-]+", " ", word)
        if word in self.units:
            return self.units[word]
        for key, value in self.units.items():  # a glob ("tagig*")
            if "*" in key and re.fullmatch(key.replace("*", r"\w*"), word):
                return value
        return ("", Fraction(0))

    def normalise(self, text: str) -> str:
        """Idioms, percent words and number words written as digits; folded."""
        d = self.lex.data
        p = self.patterns
        t = clean(text).lower()
        t = p["idioms"].sub(lambda m: d.idioms[_idiom_key(d.idioms, m.group())], t)
        t = p["percent"].sub("%", t)
        t = p["counts"].sub(lambda m: number_text(d.counts[_key(d.counts, fold(m.group()))]), t)
        if d.numbers:
            t = to_digits(t, d.numbers)
        t = fold(t)
        for m in self.lex.find("not_values", self.lex.words(t)):
            t = t[: m.start] + " " * (m.end - m.start) + t[m.end :]
        return t

    def read(self, text: str, ranges: bool = False) -> dict[str, str]:
        """Atom -> words; `ranges`: "2 to 4 days" is one value `qty:2-4:day` (the guard), not two."""
        t = self.normalise(text)
        words = self.lex.words(t)
        found: dict[str, str] = {}
        self._money(t, found)
        self._quantities(t, found, ranges)
        wish = bool(self.lex.find("wishes", words))
        self._dates(t, found, wish)
        for m in self.lex.find("relative", words):
            if not wish:
                found[f"when:{m.key}"] = t[m.start : m.end]
        as_written = fold(clean(text))
        for m in self.lex.find("percent_phrases", self.lex.words(as_written)):
            found[f"pct:{m.key}"] = as_written[m.start : m.end]
        return found

    def _money(self, t: str, found: dict[str, str]) -> None:
        p, look, dc = self.patterns, self.lookups, self.lex.data.decimal_comma
        for m in p["sym_money"].finditer(t):
            symbol, amount = (m.group(1), m.group(2)) if m.group(1) else (m.group(5), m.group(4))
            scale = {"k": 1000, "m": 1_000_000}.get(m.group(3) or "", 1)
            self._add_money(found, look["symbol"][symbol], amount, scale, m.group(), dc)
        for m in p["word_money"].finditer(t):
            scale = 1000 if m.group(2) else 1
            self._add_money(found, look["word"][re.sub(r"[\s-]+", " ", m.group(3))], m.group(1), scale, m.group(), dc)
        for m in p["code_money"].finditer(t):
            self._add_money(found, m.group(1), m.group(2), 1, m.group(), dc)
        for m in p["minor_money"].finditer(t):
            self._add_money(found, look["minor"][re.sub(r"[\s-]+", " ", m.group(2))], m.group(1), 0.01, m.group(), dc)
        words = self.lex.data.money_words
        for m in p["one_word_money"].finditer(t):
            said = words[_key(words, m.group(1))]
            found[f"money:{said.currency}:{number_text(said.amount)}"] = m.group()

    @staticmethod
    def _add_money(found: dict[str, str], currency: str, amount: str, scale: float, said: str, dc: bool) -> None:
        value = parse_number(amount, dc)
        if value is not None:
            found[f"money:{currency}:{number_text(Fraction(str(value)) * Fraction(str(scale)))}"] = said

    def _quantities(self, t: str, found: dict[str, str], ranges: bool = False) -> None:
        p, dc = self.patterns, self.lex.data.decimal_comma
        for m in p["pct"].finditer(t):
            value = parse_number(m.group(1), dc)
            if value is not None:
                found[f"pct:{number_text(value)}"] = m.group()
        for m in p["qty"].finditer(t):
            measure, factor = self.unit_of(m.group(4))
            if not measure or self._past(t, m) or self._loose_one(t, m, measure):
                continue
            if m.group(4) in self.lex.data.within_only_units and not self.patterns["within"].search(t[: m.start()]):
                continue  # "avant 14 h" is a time of day; "sous 72 h" a duration
            numbers = [n for n in ([m.group(1), m.group(2)] if m.group(1) else ["1"]) if n]
            values = [v for n in numbers if (v := parse_number(n, dc)) is not None]
            shown = [number_text(Fraction(str(v)) * factor) for v in values]
            if ranges and len(shown) == 2:
                found[f"qty:{shown[0]}-{shown[1]}:{measure}"] = m.group()
                continue
            for each in shown:
                found[f"qty:{each}:{measure}"] = m.group()

    def _loose_one(self, t: str, m: re.Match[str], measure: str) -> bool:
        """'a month' in "£12 a month" or "twice a week" is a rate, and "un jour" without "in"/"within"
        before it is "some day": one of a time unit said with a space is a claim only after `within`."""
        if measure not in ("day", "month") or m.group(2):
            return False
        one = m.group(3) is not None or (m.group(1) or "").strip() == "1"
        if not one or "-" in m.group():
            return False
        before, after = t[: m.start()], t[m.end() :]
        if self.patterns["rate"].search(before):
            return True
        return not (self.patterns["within"].search(before) or self.patterns["more_after"].match(after))

    def _past(self, t: str, m: re.Match[str]) -> bool:
        """A duration said of the past: 'the last two weeks', 'two weeks ago', 'les 2 dernières semaines'."""
        p = self.patterns
        inside = m.group()
        return bool(
            p["past_before"].search(t[: m.start()])
            or p["past_after"].search(t[m.end() :])
            or re.search(rf"\b(?:{alternation(self.lex.data.past_after)})\b", inside)
        )

    def _dates(self, t: str, found: dict[str, str], wish: bool = False) -> None:
        """Dates as `date:M-D`; a weekday next to a date as `dow:M-D:weekday` (so it must be that date's
        weekday: a full date in the backing gives it), and alone as `weekday:…`."""
        p, months = self.patterns, self.lookups["month"]
        day_first = self.lex.data.day_first
        spans: list[tuple[int, int, int, int]] = []  # start, end, month, day
        for m in p["iso"].finditer(t):
            year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
            if _add_date(found, month, day, m.group()):
                spans.append((m.start(), m.end(), month, day))
                _add_weekday_of(found, year, month, day, m.group())
        for m in [*p["slash"].finditer(t), *p["dotted"].finditer(t)]:
            a, b = int(m.group(1)), int(m.group(2))
            month, day = (b, a) if day_first else (a, b)
            if _add_date(found, month, day, m.group()):
                spans.append((m.start(), m.end(), month, day))
        for m in p["day_month"].finditer(t):
            month, day = int(months[m.group(2)]), int(m.group(1))
            if _add_date(found, month, day, m.group()):
                spans.append((m.start(), m.end(), month, day))
        for m in p["month_day"].finditer(t):
            month, day = int(months[m.group(1)]), int(m.group(2))
            if _add_date(found, month, day, m.group()):
                spans.append((m.start(), m.end(), month, day))
        for m in p["weekday"].finditer(t):
            key = self.weekday_key(m.group(1))
            dated = [
                s for s in spans if NEXT_TO_RE.fullmatch(t[m.end() : s[0]]) or NEXT_TO_RE.fullmatch(t[s[1] : m.start()])
            ]
            if dated:
                _, _, month, day = dated[0]
                found[f"dow:{month}-{day}:{key}"] = m.group()
            elif not wish and not p["possessive"].search(t[: m.start()]):
                found[f"weekday:{key}"] = m.group()

    def weekday_key(self, word: str) -> str:
        table = self.lookups["weekday"]
        if word in table:
            return table[word]
        return next(v for k, v in table.items() if "*" in k and re.fullmatch(k.replace("*", r"\w*"), word))


NEXT_TO_RE = re.compile(r"[\s,.]*(?:\w{1,3}[\s,.]+)?")  # "Tuesday 1 December", "Dienstag, den 1.12."


def _add_date(found: dict[str, str], month: int, day: int, said: str) -> bool:
    if 1 <= month <= 12 and 1 <= day <= 31:
        found[f"date:{month}-{day}"] = said
        return True
    return False


def _add_weekday_of(found: dict[str, str], year: int, month: int, day: int, said: str) -> None:
    """A full date also backs its own weekday ("2026-11-16" backs "Monday 16 November")."""
    try:
        weekday = dt.date(year, month, day).weekday()
    except ValueError:
        return
    found[f"dow:{month}-{day}:{WEEKDAY_KEYS[weekday]}"] = said


def weekday_atoms(day: dt.date) -> set[str]:
    """The atoms a known date backs: the date and its weekday."""
    return {f"date:{day.month}-{day.day}", f"dow:{day.month}-{day.day}:{WEEKDAY_KEYS[day.weekday()]}"}


def _key(table: Mapping[str, object], said: str) -> str:
    said = re.sub(r"[\s-]+", " ", said)
    return next(k for k in table if fold(k) == said)


def _idiom_key(idioms: dict[str, str], said: str) -> str:
    return next(k for k in idioms if fold(k) == re.sub(r"[\s-]+", " ", fold(said)))


@cache
def reader(code: str) -> Reader:
    return Reader(lexicons()[code])


def read_values(text: str, code: str, ranges: bool = False) -> dict[str, str]:
    """The values of a text read as language `code`: atom -> the words as written (folded)."""
    return reader(code).read(text, ranges)
