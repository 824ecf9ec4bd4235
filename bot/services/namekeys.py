"""Names in a customer's file besides their own: the proper nouns of their `facts`, and their company's.

A pet, a site or a project written in `facts` ("dog: Bruno, Bernese mountain dog", "site: Elm Court")
names its customer as surely as a first name does: staff say "Bruno's owner". A proper noun is told
apart from the business's own terms by the folder itself: it is written with a capital wherever it
appears in the customers' files, and it is no word of the playbook or the content library (there
"Large Dog plan" or "Partner Plus" is a product, held by many).

Part of a company name is that company when it is a run of two or more of its words that no other
customer's company has, and not only words of the business's offer: "the greyhound rescue" for
Second Chance Greyhound Rescue.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from bot.knowledge.models import Customer
from bot.language.text import POSSESSIVE_RE
from bot.services.text import NAME_WORD_RE, stem, words

BRACKETS_RE = re.compile(r"\([^)]*\)|\[[^\]]*\]")
MIN_NAME = 3  # "Jo" may be anyone's initials or a word; a fact's name has three letters or more


def _written_in_lower_case(customers: Iterable[Customer], candidates: set[str]) -> set[str]:
    """Those of the candidate words written in lower case somewhere in the customers' files: common
    nouns, not names. Tokens are compared as written (lower case already), so a long folder is read once."""
    found: set[str] = set()
    for c in customers if candidates else ():
        tokens = {POSSESSIVE_RE.sub("", t) for t in NAME_WORD_RE.findall(c.file_text(with_name=False))}
        found |= candidates & tokens
    return found


def fact_names(customers: dict[str, Customer], not_names: frozenset[str]) -> dict[str, frozenset[str]]:
    """Word -> the customers whose `facts` name it as a proper noun.

    A value's name is its head, before the first comma and outside brackets: "Bruno" in "Bruno, Bernese
    mountain dog", "Bunnysure" in "Bunnysure (not a direct-claim insurer)" (a breed or a model further on
    describes the thing named). A word that is a customer's own name names that person, not a fact.
    `not_names`: everyday words, titles, months and the folder's vocabulary (the business's offer)."""
    people = {w for c in customers.values() for w in words(f"{c.name} {c.preferred_name or ''}")}
    found: dict[str, set[str]] = defaultdict(set)
    for c in customers.values():
        heads = [_head(v) for v in c.facts.values() if isinstance(v, str)]
        capitals = [t for head in heads for t in NAME_WORD_RE.findall(head) if t[0].isupper()]
        own = set(words(c.company or "")) if capitals else set()
        for word in words(" ".join(capitals)):
            if (
                len(word) >= MIN_NAME
                and word.isalpha()
                and not any(w in not_names or w in people or w in own for w in (word, stem(word)))
            ):
                found[word].add(c.id)
    lower = _written_in_lower_case(customers.values(), set(found) | {stem(w) for w in found})
    return {word: frozenset(ids) for word, ids in found.items() if word not in lower and stem(word) not in lower}


def _head(value: str) -> str:
    return re.split(r"[,;:]", BRACKETS_RE.sub(" ", value), maxsplit=1)[0]


class CompanyPhrases:
    """Runs of two or more words of one customer's company name, found in a question.

    A run names the company when no other company has it and one of its words is theirs alone: in
    no other customer's file and no word of the business's offer ("greyhound" in "greyhound rescue").
    "Boarding kennels" of Pawsome Stays Boarding Kennels is what other customers' dogs go into."""

    def __init__(self, customers: dict[str, Customer], stopwords: frozenset[str], offer: frozenset[str]) -> None:
        owners: dict[tuple[str, ...], set[str]] = defaultdict(set)
        for c in customers.values():
            parts = [w for w in words(c.company or "") if w not in stopwords]
            for run in _runs(parts):
                owners[run].add(c.id)
        wanted = {w for run in owners for w in run if w not in offer}
        users: dict[str, set[str]] = defaultdict(set)  # word of a company name -> customers whose file uses it
        for c in customers.values() if wanted else ():
            for word in wanted.intersection(words(c.file_text())):
                users[word].add(c.id)
        self.owner = {
            run: cid
            for run, ids in owners.items()
            if len(ids) == 1
            for cid in ids
            if any(w not in offer and users[w] == {cid} for w in run)
        }
        self.longest = max(map(len, self.owner), default=0)

    def find(self, text: str) -> dict[str, tuple[str, ...]]:
        """Customer id -> the longest run of their company's words the text has, word for word."""
        tokens = words(text)
        found: dict[str, tuple[str, ...]] = {}
        for start in range(len(tokens)):
            for end in range(min(len(tokens), start + self.longest), start + 1, -1):
                run = tuple(tokens[start:end])
                cid = self.owner.get(run)
                if cid is not None and len(run) > len(found.get(cid, ())):
                    found[cid] = run
                    break
        return found


def _runs(parts: list[str]) -> Iterable[tuple[str, ...]]:
    """Contiguous runs of two words or more, shorter than the whole name."""
    for size in range(2, len(parts)):
        for start in range(len(parts) - size + 1):
            yield tuple(parts[start : start + size])
