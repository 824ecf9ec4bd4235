"""Whether a playbook sentence applies to one customer: their plan, size or membership, their segment.

The folder's own `facts` values are the variants: a sentence that names another customer's plan and
not theirs is about that plan. Nothing here knows any trade's words but the two segments' terms.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from bot.knowledge.models import Customer
from bot.services.sentences import LABEL_RE, Sentence
from bot.services.text import COMMON_WORDS, NAME_WORD_RE, fold, words

# The terms that mark a passage as for the other segment ("Wholesale prices", "Retail terms").
SEGMENT_TERMS = {
    "b2b": frozenset({"wholesale", "trade", "business", "businesses", "b2b", "corporate", "commercial", "reseller"}),
    "b2c": frozenset({"retail", "personal", "consumer", "consumers", "household", "b2c", "individuals"}),
}


@dataclass
class FactValues:
    """Every value each `facts` key takes across the folder: the variants a sentence may be about."""

    by_key: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, customers: Iterable[Customer]) -> FactValues:
        by_key: dict[str, set[str]] = {}
        for c in customers:
            for key, value in c.facts.items():
                if isinstance(value, str):
                    by_key.setdefault(key, set()).add(value)
        return cls(by_key)


def marks(text: str) -> frozenset[str]:
    return frozenset(w for w in words(text) if len(w) > 2 and not w.isdigit() and w not in COMMON_WORDS)


CALENDAR = frozenset(w.lower() for w in [*calendar.month_name, *calendar.day_name] if w)


def _calendar(value: str) -> bool:
    return bool(marks(value)) and marks(value) <= CALENDAR


def _name_part(value: str) -> str:
    """'Classic bouquet, fortnightly, Thursdays' -> 'Classic bouquet'; 'Reformer Unlimited (annual)' -> …"""
    return re.split(r"[,(;]", value, maxsplit=1)[0]


@dataclass(frozen=True)
class Variant:
    """One of the customer's `facts` values against the other values that key takes in the folder:
    the words only theirs has, and the words only another's has ('Mat & Reformer 8' vs 'Reformer
    Unlimited': unlimited vs mat). Another's is named by a capitalised word, as names are."""

    ours: frozenset[str]
    others: frozenset[str]
    names: bool = True  # others must be written with a capital (plan names); False for segment terms

    def about_another(self, scope: str) -> bool | None:
        """True: the scope is about another variant; False: about theirs; None: neither."""
        said = frozenset(words(scope))
        if said & self.ours:
            return False
        named = {fold(w) for w in NAME_WORD_RE.findall(scope) if w[0].isupper()} if self.names else said
        return True if frozenset(words(" ".join(named))) & self.others else None


@dataclass
class Applies:
    """Whether a sentence applies to one customer: not another plan's, not the other segment's."""

    customer: Customer
    values: FactValues
    page_words: dict[str, frozenset[str]] = field(default_factory=dict)

    @cached_property
    def variants(self) -> list[Variant]:
        found: list[Variant] = []
        for key, value in self.customer.facts.items():
            if not isinstance(value, str):
                continue
            mine = marks(_name_part(value))
            name = _name_part(value).strip().lower()
            theirs = [
                marks(_name_part(v)) for v in self.values.by_key.get(key, ()) if _name_part(v).strip().lower() != name
            ]
            shared = frozenset().union(*theirs) if theirs else frozenset()
            ours, others = mine - shared, shared - mine
            if ours and others:
                found.append(Variant(ours, others))
        segment = self.customer.segment
        other = "b2c" if segment == "b2b" else "b2b"
        found.append(Variant(SEGMENT_TERMS[segment], SEGMENT_TERMS[other], names=False))
        return found

    def scopes(self, sentence: Sentence, variant: Variant, text: str | None = None) -> list[str]:
        """Where a sentence says whom it is for, nearest first. The page title counts only for a page that
        never names this customer's variant ("Prices and wholesale terms" also holds "Retail prices: …")."""
        text = sentence.text if text is None else text
        label = LABEL_RE.match(text)
        scopes = [label.group(0) if label else "", text, sentence.heading]
        if not self.page_words.get(sentence.path, frozenset()) & variant.ours:
            scopes.append(sentence.title)
        return scopes

    def __call__(self, sentence: Sentence, text: str | None = None) -> bool:
        """The nearest scope that names a variant decides: the sentence's own label ("Wholesale prices: …"),
        then the sentence, its heading, its page title."""
        for variant in self.variants:
            for scope in self.scopes(sentence, variant, text):
                verdict = variant.about_another(scope)
                if verdict is not None:
                    if verdict:
                        return False
                    break
        return True

    def narrowed(self, sentence: Sentence) -> Sentence | None:
        """The sentence as it applies to them: a list ("£52.20 for Mat members; £49.30 for Unlimited
        members") keeps only the items that are not another variant's; None when nothing applies."""
        if not self(sentence):
            return None
        label = LABEL_RE.match(sentence.text)
        lead = label.group(0) if label else ""
        items = [i.strip() for i in sentence.text[len(lead) :].split(";") if i.strip()]
        if len(items) < 2:
            return sentence
        kept = [i for i in items if self(sentence, i)]
        if not kept:
            return None
        if len(kept) == len(items):
            return sentence
        text = lead + "; ".join(i.rstrip(".") for i in kept) + "."
        return Sentence(sentence.source, text, sentence.title, sentence.heading, sentence.staff_only)

    def mentions_theirs(self, sentence: Sentence) -> bool:
        said = frozenset(words(sentence.text))
        return any(said & v.ours for v in self.variants[:-1])
