"""What a draft may rest on, by how far each source is trusted (DESIGN.md, "Honest"; issue 11, item 5).

- `binding` (playbook text for customers, the customer's `facts`): everything, offers, prices,
  percentages, guarantees, dates, durations, counts and links;
- `ours` (our `out` history, the customer's notes): dates, durations, counts; an amount only from
  our `out` history (what we charged or refunded happened), never from a note;
- `theirs` (their `in` history, their pasted message): their own dates, counts and amounts, never a
  duration (their "after a week" is no promise of ours), an offer or a percentage;
- `promises` (the plan's follow-up promise): only a follow-up ("I'll come back to you by …");
- `links` (the content library's URLs): links.

A binding sentence that instructs staff ("Staff must not promise a discount")
backs nothing; a binding sentence that promises a follow-up backs only a
follow-up. The dates of their history entries happened, so they back dates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from bot.core.plan import Backing
from bot.guard.identities import Identities
from bot.knowledge.models import Customer, fact_text
from bot.language.claims import fact_claims, languages_of
from bot.language.lexicon import lexicons
from bot.language.links import links, url_key
from bot.language.sentences import split_sentences
from bot.language.text import COMMON_WORDS, EMAIL_RE, capitalised_words, content_stems, fold, stem, stems, words
from bot.language.values import weekday_atoms

OURS_BACK = ("qty:", "date:", "weekday:", "dow:")
THEIRS_BACK = ("date:", "weekday:", "dow:", "money:")
DURATIONS = (":day", ":month")
# Offers that are always of something in particular: a refund of what, a credit for what. Free delivery
# and "the shipping is on us" say the same thing in different words, so kinds such as `free` compare alone.
SUBJECT_BOUND = frozenset({"refund", "credit", "waive", "compensation", "replacement"})


def customer_backing(
    customer: Customer,
    binding: Iterable[str] = (),
    promises: Iterable[str] = (),
    links: Iterable[str] = (),
    pasted: Iterable[str] = (),
) -> Backing:
    """A `Backing` with the customer's own file filled in: their `facts` are binding, our `out` history and
    their notes are ours, their `in` history (and a pasted message) is theirs."""
    c = customer
    return Backing(
        binding=(*binding, *(fact_text(k, v) for k, v in c.facts.items())),
        ours=(*(e.text for e in c.history if e.direction != "in"), c.notes_text),
        theirs=(*(e.text for e in c.history if e.direction == "in"), *pasted),
        promises=tuple(promises),
        links=tuple(links),
    )


@dataclass
class GuardContext:
    """The customer, what backs a draft's claims, and the other customers it must not name.

    `facts` is the older, untyped way to give backing: texts read as binding playbook text (their
    follow-up sentences back only a follow-up, their URLs are links). The Assistant passes `backing`.
    """

    customer: Customer
    facts: Sequence[str] = ()
    others: list[Customer] = field(default_factory=list)
    identities: Identities | None = None  # built once per knowledge snapshot; else from `others`
    backing: Backing | None = None

    def offer_backed(self, kind: str, codes: tuple[str, ...], text: str) -> bool:
        """An offer is backed by a binding sentence that makes the same kind of offer about the same thing
        ("a full refund" of unused items backs no refund of a courier fee). Across languages the words
        cannot be compared, so there the kind alone must match."""
        if kind.removeprefix("offer:") not in SUBJECT_BOUND:
            return True
        subjects = self.offers.get(kind, [])
        same = [s for s in subjects if set(s.codes) & set(codes)]
        if subjects and not same:
            return True
        mine = about(text)
        return any(s.about & mine for s in same)

    def __post_init__(self) -> None:
        c = self.customer
        if self.backing is None:
            self.backing = customer_backing(c, binding=self.facts)
        b = self.backing
        self.stated: set[str] = set()  # what binding text states: backs any claim
        self.promised: set[str] = set()  # backs only a follow-up
        for text in b.binding:
            stated, promised = fact_claims(text)
            self.stated |= stated
            self.promised |= promised
        for text in b.promises:
            self.promised |= _atoms(text)
        self.stated |= {a for text in b.ours for a in _atoms(text) if a.startswith(OURS_BACK)}
        sent = [e.text for e in c.history if e.direction == "out"]
        self.stated |= {a for text in sent for a in _atoms(text) if a.startswith("money:")}
        self.stated |= {a for text in b.theirs for a in _atoms(text) if a.startswith(THEIRS_BACK) or _is_count(a)}
        for e in c.history:
            if e.date:
                self.stated |= weekday_atoms(e.date)
        self.offers: dict[str, list[OfferSubject]] = {}
        for text in b.binding:
            for subject in offer_subjects(text):
                self.offers.setdefault(subject.kind, []).append(subject)
        self.links = {url_key(u) for u in b.links} | {url_key(u) for text in b.binding for u in links(text)}

        authors = [e.author for e in c.history if e.author]  # "Sam" wrote to them: naming Sam is no leak
        profile = " ".join(
            filter(None, [c.name, c.preferred_name, c.email, c.phone, c.company, c.role, *c.interests, *c.tags])
        )
        profile = " ".join([profile, *authors])
        parts = [*b.binding, *b.ours, *b.theirs, *b.promises, profile]
        self.known_stems = frozenset().union(*map(stems, parts))
        self.known_emails = {e.lower() for part in parts for e in EMAIL_RE.findall(part)}
        self.own = fold(profile)
        self.private = private_marks(c.private_text, self.known_stems)
        if self.identities is None:
            self.identities = Identities(self.others)


@dataclass(frozen=True)
class OfferSubject:
    """A binding sentence's offer: its kind, the languages it is in, and what it is about (its content
    words other than offer words)."""

    kind: str
    codes: tuple[str, ...]
    about: frozenset[str]


def about(text: str) -> frozenset[str]:
    """Content words of a sentence, without the words that make offers ("refund", "free")."""
    return frozenset(content_stems(text) - offer_word_stems())


@lru_cache(maxsize=1)
def offer_word_stems() -> frozenset[str]:
    return frozenset(
        stem(w)
        for lex in lexicons().values()
        for phrases in lex.data.claims.values()
        for phrase in phrases
        for w in words(phrase)
    )


@lru_cache(maxsize=4096)
def offer_subjects(text: str) -> tuple[OfferSubject, ...]:
    found: list[OfferSubject] = []
    for line in text.splitlines():
        for sentence in split_sentences(line, None):
            codes = languages_of(sentence)
            kinds = [a for a in fact_claims(sentence)[0] if a.startswith("offer:")]
            found += [OfferSubject(k, codes, about(sentence)) for k in kinds]
    return tuple(found)


def _atoms(text: str) -> frozenset[str]:
    stated, promised = fact_claims(text)
    return stated | promised


def _is_count(atom: str) -> bool:
    return atom.startswith("qty:") and not atom.endswith(DURATIONS)


@dataclass(frozen=True)
class PrivateMarks:
    """What would give a `## Private` note away: the sensitive topics it names (health, family…, matched in
    every language), the names in it, and its runs of four words."""

    topics: frozenset[str]
    names: frozenset[str]
    shingles: frozenset[str]


def private_marks(private: str, known: frozenset[str]) -> PrivateMarks:
    topics = {m.key for lex in lexicons().values() for m in lex.find("sensitive", lex.words(private))}
    calendar = {
        fold(w)
        for lex in lexicons().values()
        for names in [*lex.data.months, *lex.data.weekdays]
        for w in ([names] if isinstance(names, str) else names)
    }
    names = {w for w in capitalised_words(_not_first(private)) if w not in calendar and w not in known and len(w) > 2}
    pw = words(private)
    shingles = {
        " ".join(pw[i : i + 4]) for i in range(len(pw) - 3) if any(w not in COMMON_WORDS for w in pw[i : i + 4])
    }
    return PrivateMarks(frozenset(topics), frozenset(names), frozenset(shingles))


def _not_first(text: str) -> str:
    """The text without the first word of each sentence (a capital there says nothing about a name)."""
    return re.sub(r"(^|[.!?;]\s+|\n\s*)\S+", r"\1", text)
