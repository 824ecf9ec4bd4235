"""Choose the facts that answer a customer's message, by meaning, and the ones that apply to them.

Playbook paragraphs are found by vector search on the customer's message (and the request, for
the subject), then cut into whole sentences; each sentence is scored by its meaning against the
message. Sentences about another plan, product or segment than this customer's are left out:
a sentence that names another customer's `facts` value (another plan) and not theirs, or the other
segment's terms, does not apply to them. `## Staff only` sentences are kept apart for staff.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import numpy as np

from bot.core.plan import Facts, Passage
from bot.index.store import VectorStore
from bot.knowledge.models import Customer, PlaybookDoc, fact_text
from bot.language.lexicon import function_words
from bot.language.text import content_stems, stem
from bot.services.meaning import Meaning
from bot.services.reading import lexicon
from bot.services.sentences import PlaybookSentences, Sentence, split_sentences
from bot.services.text import words
from bot.services.variants import Applies, FactValues, marks

MIN_SENTENCE = 0.30  # cosine similarity of MiniLM: below this a sentence is not on the subject
KEEP_WITHIN = 0.18  # ...and within this of the best sentence
KEEP_WITHIN_ANYONE = 0.2  # with no customer, every plan's answer is wanted: a wider band
MAX_ANSWER = 4
MAX_STAFF = 3
MIN_CUSTOMER_FACT = 0.30
COVERED = 0.42  # a question in their message is answered when a chosen fact is this close to it
ANSWERS = 0.30  # a chosen sentence this far from every question asked is related, not an answer
CLEARLY = 0.55  # this close in meaning, a sentence answers without sharing a word
ANSWERS_WITHIN = 0.35  # ...and one this far behind the sentence that answers best
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
UNHEARD_OF = 0.15  # a word the folder never uses, this far in meaning from every chosen fact, is not answered


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
        applies = Applies(customer, self.values, self.sentences.page_words) if customer else None
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
        facts.uncovered = self._uncovered(message, [*facts.answer, *facts.customer], customer)
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
            if sim >= MIN_CUSTOMER_FACT or marks(p.text.split(":", 1)[-1]) & said
        ]

    def _answering(self, asked: str, chosen: list[Passage]) -> tuple[list[Passage], list[Passage]]:
        """Of the chosen sentences, those that answer something asked (a draft states only these), and
        the rest (on the subject, for staff)."""
        if not chosen or self.meaning is None:
            return chosen, []
        asks = asks_in(asked)
        sims = self.meaning.similarity(asks, [p.text for p in chosen]).max(axis=0)
        floor = max(ANSWERS, float(sims.max()) - ANSWERS_WITHIN)
        answer = [p for p, sim in zip(chosen, sims, strict=True) if sim >= floor and self.on_subject(asks, p.text, sim)]
        return answer, [p for p in chosen if p not in answer]

    def on_subject(self, asks: list[str], sentence: str, sim: float) -> bool:
        """Close in meaning is not enough when the model only sees the same kind of thing ("how much to fit
        studded tyres" vs "a brake bleed costs £35"): a sentence answers when it is very close, or shares a
        word of substance with the question (not one that only says what kind of value is asked, "cost")."""
        if sim >= CLEARLY:
            return True
        return bool(content_stems(" ".join(asks)) & content_stems(sentence) - kind_words())

    def _uncovered(self, message: str | None, chosen: list[Passage], customer: Customer | None = None) -> list[str]:
        """The questions in their message that no chosen fact comes close to."""
        if not message or self.meaning is None:
            return []
        asks = asks_in(message)
        if not chosen:
            return asks
        sims = self.meaning.similarity(asks, [p.text for p in chosen])
        return [
            ask
            for ask, row in zip(asks, sims, strict=True)
            if not any(
                sim >= COVERED and self.on_subject([ask], p.text, sim) for p, sim in zip(chosen, row, strict=True)
            )
            or self._unheard_of(ask, chosen, customer)
        ]

    def _unheard_of(self, ask: str, chosen: list[Passage], customer: Customer | None) -> bool:
        """The question is about something the business never writes about ("by drone"): a word of it that no
        playbook sentence and nothing in their file uses, and that none of the chosen facts comes close to in
        meaning. A fact on the rest of the question ("we deliver to UK addresses") does not answer that part."""
        assert self.meaning is not None
        known = self.rarity.keys() | (content_stems(customer.file_text()) if customer is not None else set())
        common = function_words()
        # Whole tokens, compounds kept ("plastic-free" says more than "plastic" alone).
        unheard = [
            token
            for token in dict.fromkeys(re.findall(r"[^\W\d_][\w'’-]*", ask))
            if any(
                len(w) > 3 and w not in common and stem(w) not in known and stem(w) in content_stems(w)
                for w in words(token)
            )
        ]
        if not unheard:
            return False
        sims = self.meaning.similarity(unheard, [p.text for p in chosen])
        return bool((sims.max(axis=1) < UNHEARD_OF).any())


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


@lru_cache(maxsize=1)
def kind_words() -> frozenset[str]:
    """The words that say what kind of value is asked ("how much does it cost") and not what about."""
    lex = lexicon()
    return frozenset(content_stems(" ".join([*lex.asks_price, *lex.asks_when])))


def asks_in(message: str) -> list[str]:
    """The questions in a message (its sentences that end with '?'), else the whole message; a sentence
    asking two things ("why the bill went up and what we charge per unit") is two questions, each
    answered, or promised, on its own."""
    asked = [s for _, s in split_sentences(message) if s.endswith("?")] or [message.strip()]
    return [part for sentence in asked for part in _clauses(sentence)]


def _clauses(sentence: str) -> list[str]:
    """A sentence cut before each 'and'/'or' that opens another indirect question (a wh-word, 'whether',
    'if'), when both sides are long enough to ask something."""
    parts = _second_question_re().split(sentence)
    if len(parts) < 2 or any(len(p.split()) < 3 for p in parts):
        return [sentence]
    return [p.strip() for p in parts]


@lru_cache(maxsize=1)
def _second_question_re() -> re.Pattern[str]:
    """'and'/'or' before a word that opens an indirect question (the reading's `wh_words`)."""
    wh = "|".join(re.escape(w) for w in sorted(lexicon().wh_words, key=len, reverse=True))
    return re.compile(rf",?\s+(?:and|or)\s+(?=(?:{wh})\b)", re.I)


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
