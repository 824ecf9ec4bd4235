"""Choose the facts that answer a customer's message, by meaning, and the ones that apply to them.

Playbook paragraphs are found by vector search on the customer's message (and the request, for
the subject), then cut into whole sentences; each sentence is scored by its meaning against the
message. Sentences about another plan, product or segment than this customer's are left out:
a sentence that names another customer's `facts` value (another plan) and not theirs, or the other
segment's terms, does not apply to them. `## Staff only` sentences are kept apart for staff.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import blingfire
import numpy as np

from bot.core.plan import Facts, Passage
from bot.index.store import VectorStore
from bot.knowledge.models import Customer, PlaybookDoc, fact_text
from bot.language.text import content_stems
from bot.services.meaning import Meaning
from bot.services.reading import lexicon
from bot.services.text import COMMON_WORDS, NAME_WORD_RE, fold, words

MIN_SENTENCE = 0.30  # cosine similarity of MiniLM: below this a sentence is not on the subject
KEEP_WITHIN = 0.12  # ...and within this of the best sentence
KEEP_WITHIN_ANYONE = 0.2  # with no customer, every plan's answer is wanted: a wider band
MAX_ANSWER = 4
MAX_STAFF = 3
MIN_CUSTOMER_FACT = 0.30
COVERED = 0.42  # a question in their message is answered when a chosen fact is this close to it
ANSWERS = 0.30  # a chosen sentence this far from every question asked is related, not an answer
ANSWERS_WITHIN = 0.18  # ...and one this far behind the sentence that answers best
PARAGRAPH_WEIGHT = 0.3  # a sentence borrows this much of its paragraph's score (its context)
VALUE_BONUS = 0.06  # a sentence with the kind of value asked for ("how much…?" -> an amount)
ASKS_PRICE = 0.33
ASKS_WHEN = 0.28
MONEY_RE = re.compile(r"[£$€]\s?\d|\b\d+(?:[.,]\d+)?\s?(?:pounds?|euros?|dollars?|p)\b", re.I)
WHEN_RE = re.compile(
    r"\b\d{1,2}(?:[.:]\d{2})?\s?(?:a\.?m\.?|p\.?m\.?)|\bnoon\b|\bmidnight\b|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day"
    r"|\b\d+\s?(?:working |business |calendar )?(?:minutes?|hours?|days?|weeks?|months?|years?)\b"
    r"|\b(?:january|february|march|april|may|june|july|august|september|october|november|december)\b",
    re.I,
)
LEXICAL = 0.03  # hybrid retrieval: per word of their message the sentence shares, weighted by rarity (up to 3)
SEARCH_N = 12
# The terms that mark a passage as for the other segment ("Wholesale prices", "Retail terms").
SEGMENT_TERMS = {
    "b2b": frozenset({"wholesale", "trade", "business", "businesses", "b2b", "corporate", "commercial", "reseller"}),
    "b2c": frozenset({"retail", "personal", "consumer", "consumers", "household", "b2c", "individuals"}),
}


@dataclass(frozen=True)
class Sentence:
    source: str  # "playbook/prices.md#L7"
    text: str
    title: str
    heading: str
    staff_only: bool

    @property
    def in_context(self) -> str:
        """What is embedded: the sentence with its page title and heading, so 'It costs £5' has a subject."""
        where = f"{self.title} — {self.heading}" if self.heading else self.title
        return f"{where}: {self.text}"

    @property
    def parts(self) -> list[str]:
        """What is scored: the sentence in context and, for a list ("…; house filter blend £18.00/kg; …"),
        each item in context too, so one item of a long list is found by its own meaning."""
        items = [i.strip() for i in self.text.split(";") if i.strip()]
        if len(items) < 2:
            return [self.in_context]
        where = f"{self.title} — {self.heading}" if self.heading else self.title
        label = LABEL_RE.match(self.text)
        lead = label.group(0) if label else ""
        return [self.in_context, *(f"{where}: {'' if i.startswith(lead) else lead}{i}" for i in items)]

    @property
    def path(self) -> str:
        return self.source.split("#", 1)[0]


def split_sentences(text: str) -> list[tuple[int, str]]:
    """(character offset, sentence) for each sentence of a paragraph; line breaks inside are kept apart."""
    if not text.strip():
        return []
    _, offsets = blingfire.text_to_sentences_and_offsets(text)
    return [(start, " ".join(text[start:end].split())) for start, end in offsets if text[start:end].strip()]


def sentences_of(doc: PlaybookDoc) -> list[tuple[int, list[Sentence]]]:
    """Each paragraph of a page (by its first line), cut into sentences that each know their line."""
    out: list[tuple[int, list[Sentence]]] = []
    for section in doc.sections:
        start, lines = section.line, section.text.splitlines()
        paragraphs: list[tuple[int, list[str]]] = []
        for offset, line in enumerate([*lines, ""]):
            if line.strip():
                if not paragraphs or paragraphs[-1][1] == []:
                    paragraphs.append((start + offset, [line]))
                else:
                    paragraphs[-1][1].append(line)
            elif paragraphs and paragraphs[-1][1]:
                paragraphs.append((0, []))
        for first, para in paragraphs:
            if not para:
                continue
            raw = "\n".join(para)
            found = [
                Sentence(
                    source=f"{doc.path}#L{first + raw[:at].count(chr(10))}",
                    text=text,
                    title=doc.title,
                    heading=section.heading or "",
                    staff_only=section.staff_only,
                )
                for at, text in split_sentences(raw)
            ]
            out.append((first, found))
    return out


class PlaybookSentences:
    """Every playbook sentence, by the paragraph it is in (the index stores paragraphs)."""

    def __init__(self, playbook: Iterable[PlaybookDoc]) -> None:
        self.by_paragraph: dict[str, list[Sentence]] = {}
        for doc in playbook:
            if doc.perks:
                continue  # a perk is offered for its purpose only, within its interval (services.perks)
            for first, found in sentences_of(doc):
                self.by_paragraph[f"{doc.path}#L{first}"] = found

    def all(self) -> list[Sentence]:
        return [s for found in self.by_paragraph.values() for s in found]


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


def _marks(text: str) -> frozenset[str]:
    return frozenset(w for w in words(text) if len(w) > 2 and not w.isdigit() and w not in COMMON_WORDS)


CALENDAR = frozenset(w.lower() for w in [*calendar.month_name, *calendar.day_name] if w)


def _calendar(value: str) -> bool:
    return bool(_marks(value)) and _marks(value) <= CALENDAR


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

    @cached_property
    def variants(self) -> list[Variant]:
        found: list[Variant] = []
        for key, value in self.customer.facts.items():
            if not isinstance(value, str):
                continue
            mine = _marks(_name_part(value))
            name = _name_part(value).strip().lower()
            theirs = [
                _marks(_name_part(v)) for v in self.values.by_key.get(key, ()) if _name_part(v).strip().lower() != name
            ]
            shared = frozenset().union(*theirs) if theirs else frozenset()
            ours, others = mine - shared, shared - mine
            if ours and others:
                found.append(Variant(ours, others))
        segment = self.customer.segment
        other = "b2c" if segment == "b2b" else "b2b"
        found.append(Variant(SEGMENT_TERMS[segment], SEGMENT_TERMS[other], names=False))
        return found

    def scopes(self, sentence: Sentence, text: str | None = None) -> list[str]:
        text = sentence.text if text is None else text
        label = LABEL_RE.match(text)
        return [label.group(0) if label else "", text, sentence.heading, sentence.title]

    def __call__(self, sentence: Sentence, text: str | None = None) -> bool:
        """The nearest scope that names a variant decides: the sentence's own label ("Wholesale prices: …"),
        then the sentence, its heading, its page title."""
        for variant in self.variants:
            for scope in self.scopes(sentence, text):
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


class FactChooser:
    """Built once per knowledge snapshot; `choose` is called once per answer."""

    def __init__(
        self,
        playbook: list[PlaybookDoc],
        customers: Iterable[Customer],
        store: VectorStore | None,
        meaning: Meaning | None,
    ) -> None:
        self.sentences = PlaybookSentences(playbook)
        everything = self.sentences.all()
        counts: dict[str, int] = {}
        for sentence in everything:
            for w in content_stems(sentence.text):
                counts[w] = counts.get(w, 0) + 1
        # Rarity of each word across the playbook: "brew" in 3 sentences says more than "coffee" in 40.
        self.rarity = {w: 1.0 / n for w, n in counts.items()}
        self.values = FactValues.of(customers)
        self.store = store
        self.meaning = meaning

    def choose(
        self, message: str | None, question: str, customer: Customer | None, background: str = "", playbook: bool = True
    ) -> Facts:
        """`background`: what their history says on the subject, when their message is too short to say it.
        `playbook=False`: only the customer's facts (outreach that answers no question)."""
        if not playbook:
            facts = Facts()
            if customer is not None:
                facts.customer = self._customer_facts(customer, [q for q in (message or question,) if q], [])
            return facts
        queries = [q for q in dict.fromkeys([message or "", background, question]) if q.strip()]
        facts = Facts()
        if not queries:
            return facts
        scored = self._score(queries, message is not None)
        applies = Applies(customer, self.values) if customer else None
        public = [(s, x) for s, x in scored if not x.staff_only]
        if applies is not None:
            public = [(s, n) for s, x in public if (n := applies.narrowed(x)) is not None]
        if applies:
            public = [(s + (0.03 if applies.mentions_theirs(x) else 0.0), x) for s, x in public]
            public.sort(key=lambda pair: -pair[0])
        chosen = _keep(public, MAX_ANSWER, within=KEEP_WITHIN if customer else KEEP_WITHIN_ANYONE)
        facts.answer, facts.related = self._answering(message or question, chosen)
        facts.staff = _keep([(s, x) for s, x in scored if x.staff_only], MAX_STAFF, kind="staff")
        if customer is not None:
            facts.customer = self._customer_facts(customer, queries, facts.answer)
        facts.uncovered = self._uncovered(message, [*facts.answer, *facts.customer])
        return facts

    def _score(self, queries: list[str], has_message: bool) -> list[tuple[float, Sentence]]:
        """Candidate sentences from the paragraphs vector search finds, scored by meaning."""
        if self.store is None or self.meaning is None:
            return []
        paragraph: dict[str, float] = {}
        for hits in self.store.query_many("playbook", queries, n=SEARCH_N):
            for hit in hits:
                key = hit.id.split("~", 1)[0]
                paragraph[key] = max(paragraph.get(key, 0.0), hit.score)
        candidates = [(key, s) for key in paragraph for s in self.sentences.by_paragraph.get(key, [])]
        if not candidates:
            return []
        texts = [(j, part) for j, (_, sentence) in enumerate(candidates) for part in sentence.parts]
        sims = self.meaning.similarity(queries, [part for _, part in texts])
        # The customer's message says what they asked; the request is weighed a little less.
        weights = np.asarray([1.0] + [0.9] * (len(queries) - 1) if has_message else [1.0] * len(queries))
        best = np.full(len(candidates), -1.0)
        for column, (j, _) in enumerate(texts):
            best[j] = max(best[j], float((sims[:, column] * weights).max()))
        asked = content_stems(" ".join(queries))
        wants = self._value_kinds(queries[0])
        scored = [
            (
                (1 - PARAGRAPH_WEIGHT) * float(best[j])
                + PARAGRAPH_WEIGHT * paragraph[key]
                + LEXICAL * min(3.0, sum(self.rarity.get(w, 0.0) ** 0.5 for w in asked & content_stems(sentence.text)))
                + VALUE_BONUS * any(pattern.search(sentence.text) for pattern in wants),
                sentence,
            )
            for j, (key, sentence) in enumerate(candidates)
        ]
        scored.sort(key=lambda pair: -pair[0])
        return scored

    def _value_kinds(self, text: str) -> list[re.Pattern[str]]:
        """The kinds of value a message asks for, read by meaning: an amount, a time or date, or neither."""
        if self.meaning is None:
            return []
        lex = lexicon()
        price = float(self.meaning.similarity(asks_in(text), list(lex.asks_price)).max())
        when = float(self.meaning.similarity(asks_in(text), list(lex.asks_when)).max())
        if price >= ASKS_PRICE and price > when:
            return [MONEY_RE]
        if when >= ASKS_WHEN and when > price:
            return [WHEN_RE]
        return []

    def _customer_facts(self, customer: Customer, queries: list[str], answer: list[Passage]) -> list[Passage]:
        passages = customer_fact_passages(customer)
        if not passages or self.meaning is None:
            return passages
        sims = self.meaning.similarity(queries, [p.text for p in passages]).max(axis=0)
        said = frozenset(words(" ".join([*queries, *(p.text for p in answer)])))
        return [
            Passage(source=p.source, text=p.text, score=round(float(sim), 3), kind="customer_fact")
            for p, sim in zip(passages, sims, strict=True)
            if sim >= MIN_CUSTOMER_FACT or _marks(p.text.split(":", 1)[-1]) & said
        ]

    def _answering(self, asked: str, chosen: list[Passage]) -> tuple[list[Passage], list[Passage]]:
        """Of the chosen sentences, those that answer something asked (a draft states only these), and
        the rest (on the subject, for staff)."""
        if not chosen or self.meaning is None:
            return chosen, []
        sims = self.meaning.similarity(asks_in(asked), [p.text for p in chosen]).max(axis=0)
        floor = max(ANSWERS, float(sims.max()) - ANSWERS_WITHIN)
        answer = [p for p, sim in zip(chosen, sims, strict=True) if sim >= floor]
        return answer, [p for p in chosen if p not in answer]

    def _uncovered(self, message: str | None, chosen: list[Passage]) -> list[str]:
        """The questions in their message that no chosen fact comes close to."""
        if not message or self.meaning is None:
            return []
        asks = asks_in(message)
        if not chosen:
            return asks
        sims = self.meaning.similarity(asks, [p.text for p in chosen]).max(axis=1)
        return [ask for ask, sim in zip(asks, sims, strict=True) if sim < COVERED]


def _keep(
    scored: list[tuple[float, Sentence]], limit: int, kind: str = "playbook", within: float = KEEP_WITHIN
) -> list[Passage]:
    if not scored or scored[0][0] < MIN_SENTENCE:
        return []
    floor = max(MIN_SENTENCE, scored[0][0] - within)
    kept = [(s, x) for s, x in scored if s >= floor][:limit]
    order = {x.source: i for i, (_, x) in enumerate(sorted(kept, key=lambda pair: _line_key(pair[1].source)))}
    kept.sort(key=lambda pair: order[pair[1].source])  # the playbook's own order reads best
    return [Passage(source=x.source, text=x.text, score=round(s, 3), kind=kind) for s, x in kept]  # type: ignore[arg-type]


def asks_in(message: str) -> list[str]:
    """The questions in a message (its sentences that end with '?'), else the whole message."""
    return [s for _, s in split_sentences(message) if s.endswith("?")] or [message.strip()]


def _line_key(source: str) -> tuple[str, int]:
    path, _, line = source.partition("#L")
    return path, int(line) if line.isdigit() else 0


def customer_fact_passages(customer: Customer) -> list[Passage]:
    return [
        Passage(
            source=f"{customer.path}#L{customer.fact_lines.get(key, 1)}",
            text=fact_text(key, value),
            kind="customer_fact",
        )
        for key, value in customer.facts.items()
    ]


LABEL_RE = re.compile(r"^[^:.!?]{2,60}:\s")  # "Wholesale prices (per kg, excluding VAT): …"
