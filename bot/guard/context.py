"""What a draft may rest on, by how far each source is trusted (DESIGN.md, "Honest"; issue 11, item 5).

- `binding` (playbook text for customers, the customer's `facts`): everything, offers, prices,
  percentages, guarantees, dates, durations, counts and links;
- `ours` (our `out` history, the customer's notes): dates, durations, counts;
- `theirs` (their `in` history, their pasted message): their own dates, durations, counts and amounts,
  never an offer or a percentage;
- `promises` (the plan's follow-up promise): only a follow-up ("I'll come back to you by …");
- `links` (the content library's URLs): links.

A binding sentence that instructs staff ("Staff must not promise a discount")
backs nothing; a binding sentence that promises a follow-up backs only a
follow-up. The dates of their history entries happened, so they back dates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.core.plan import Backing
from bot.guard.identities import Identities
from bot.knowledge.models import Customer, fact_text
from bot.language.claims import claim_atoms, fact_claims
from bot.language.links import links, url_key
from bot.language.text import COMMON_WORDS, EMAIL_RE, fold, key_stems, stems, words

OURS_BACK = ("qty:", "date:", "weekday:")
THEIRS_BACK = ("qty:", "date:", "weekday:", "money:")


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
            self.promised |= claim_atoms(text)
        self.stated |= {a for text in b.ours for a in claim_atoms(text) if a.startswith(OURS_BACK)}
        self.stated |= {a for text in b.theirs for a in claim_atoms(text) if a.startswith(THEIRS_BACK)}
        self.stated |= {f"date:{e.date.month}-{e.date.day}" for e in c.history if e.date}
        self.links = {url_key(u) for u in b.links} | {url_key(u) for text in b.binding for u in links(text)}

        profile = " ".join(
            filter(None, [c.name, c.preferred_name, c.email, c.phone, c.company, c.role, *c.interests, *c.tags])
        )
        parts = [*b.binding, *b.ours, *b.theirs, *b.promises, profile]
        self.known_stems = frozenset().union(*map(stems, parts))
        self.known_emails = {e.lower() for part in parts for e in EMAIL_RE.findall(part)}
        self.own = fold(profile)
        private = c.private_text
        self.private_words = {
            w for w in key_stems(private) if w not in self.known_stems and len(w) >= 3 and not w.isdigit()
        }
        pw = words(private)
        self.private_shingles = {
            " ".join(pw[i : i + 4]) for i in range(len(pw) - 3) if any(w not in COMMON_WORDS for w in pw[i : i + 4])
        }
        if self.identities is None:
            self.identities = Identities(self.others)
