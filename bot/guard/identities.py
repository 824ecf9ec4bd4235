"""Everything that would name a customer, indexed once per knowledge snapshot (the other_customer rule)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.knowledge.models import Customer
from bot.language.text import COMMON_WORDS, EMAIL_RE, capitalised_words, stem, words

ELISION_RE = re.compile(r"\b[dlnjmstc]['’](?=[^\W\d_])", re.I)
PHONE_RE = re.compile(r"\+?\d[\d\s().-]{5,}\d")


def phone_key(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    return digits[-9:] if len(digits) >= 7 else ""


# Names that are also everyday words ("Frank feedback", "Amber light"): alone they name nobody.
WORDLIKE_NAMES = frozenset(
    {
        *("dawn", "sandy", "jack", "frank", "guy", "art", "pat", "sue", "rich", "ray", "gene", "chase", "hunter"),
        *("daisy", "ivy", "holly", "amber", "ruby", "pearl", "crystal", "hazel", "iris", "lily", "violet", "sky"),
        *("river", "brook", "heather", "rose", "robin", "autumn", "summer", "sunny", "misty", "bonnie", "ace"),
        *("hope", "will", "may", "june", "april", "august", "grace", "joy", "faith", "mark", "bill", "rob"),
        *("eve", "miles", "dean", "penny", "grant", "major", "price", "carol", "noel", "don", "lance", "dale"),
        *("glen", "cliff", "wade", "reed", "rowan", "sterling", "drew", "gray", "grey", "ivory", "star"),
    }
)


class Identities:
    """Everything that would name a customer (full name, preferred name + surname, company, email,
    phone), indexed once per knowledge snapshot so a draft is checked against 10,000 customers by
    dictionary lookups of its own words, not by 10,000 patterns."""

    def __init__(self, customers: Iterable[Customer]) -> None:
        self.phrases: dict[str, list[tuple[str, str]]] = {}
        self.emails: dict[str, list[tuple[str, str]]] = {}
        self.phones: dict[str, list[tuple[str, str]]] = {}
        self.one_word: dict[str, list[tuple[str, str]]] = {}  # first names, preferred names, company leads
        self.longest = 1
        for c in customers:
            for given in {c.name.split()[0], c.display_name}:
                key = " ".join(words(given))
                if key and " " not in key and key not in COMMON_WORDS and key not in WORDLIKE_NAMES and len(key) > 2:
                    self.one_word.setdefault(key, []).append((c.id, given))
            # "Grindhouse had the same problem": a company's distinctive leading word names it too.
            lead = words(c.company or "")[:1]
            if lead and len(lead[0]) >= 5 and lead[0] not in COMMON_WORDS and lead[0] not in WORDLIKE_NAMES:
                self.one_word.setdefault(lead[0], []).append((c.id, c.company or lead[0]))
            names = {c.name}
            if len(c.name.split()) > 1:
                names.add(f"{c.display_name} {c.name.split()[-1]}")
            for label in [*names, *([c.company] if c.company else [])]:
                key = " ".join(words(label))
                if key:
                    self.phrases.setdefault(key, []).append((c.id, label))
                    self.longest = max(self.longest, len(key.split()))
            if c.email:
                self.emails.setdefault(c.email.lower(), []).append((c.id, c.email))
            if c.phone and (key := phone_key(c.phone)):
                self.phones.setdefault(key, []).append((c.id, c.phone))

    def named(self, text: str, customer: Customer, own: str, known: frozenset[str] = frozenset()) -> list[str]:
        """Labels of other customers that `text` names (this customer's own details, or a company
        they share, do not count). A first name alone counts when written with a capital and not
        found in this customer's own facts (their history may name a colleague who shares it)."""
        found: list[tuple[str, str]] = []
        text = ELISION_RE.sub("", text)  # "l'Atelier Dufresne" names Atelier Dufresne
        own_words = set(words(own))
        for token in capitalised_words(text):
            if token in self.one_word and token not in own_words and stem(token) not in known:
                found += self.one_word[token]
        tokens = words(text)
        for n in range(1, self.longest + 1):
            for i in range(len(tokens) - n + 1):
                found += self.phrases.get(" ".join(tokens[i : i + n]), [])
        for email in EMAIL_RE.findall(text):
            found += self.emails.get(email.lower(), [])
        for phone in PHONE_RE.findall(text):
            found += self.phones.get(phone_key(phone), [])
        own_text = f" {' '.join(words(own))} "
        return list(
            dict.fromkeys(
                label for cid, label in found if cid != customer.id and f" {' '.join(words(label))} " not in own_text
            )
        )
