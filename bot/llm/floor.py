"""The quality floor: a model draft is shown only if it is a message to this customer.

The guard (bot/services/guard.py) checks what a draft claims; the floor checks what a draft *is*.
It runs on model drafts before the guard, and a draft that fails is dropped and reported as
`unusable_draft`. A draft passes when it is:

- greeted by the customer's own name, or not greeted by name at all (never "Dear Customer", never
  another person's name);
- written to them: it addresses them (a greeting, or "you"), does not talk about them by name in
  the third person, and is not signed with their name (written as them);
- not the staff member's request echoed back, nor the customer's own message repeated;
- backed by at least one source the model was shown;
- close in meaning to what it was given (the facts, their message, their history, the content
  ideas): as a whole, and sentence by sentence, where a sentence may instead be one of the
  ordinary things a message to a customer says ("Thank you for your patience."). A slogan, an
  instruction, a trigger phrase or a sentence about something else fails.

Meaning is measured with the embedding model the index already runs (all-MiniLM-L6-v2); the
thresholds were set on the sample folder's offline drafts, hand-written good drafts and real small
models' bad ones (bench/RESULTS.md, "Model drafts").
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.core.answer import Draft, Violation
from bot.knowledge.models import Customer
from bot.services.guard import SALUTATION_RE, body_sentences
from bot.services.text import NAME_WORD_RE, fold, words

Embed = Callable[[list[str]], Sequence[Any]]
Vectors = np.ndarray[Any, np.dtype[np.float32]]

ON_TOPIC = 0.30  # the draft's body against the closest thing it was given
SENTENCE_RELATED = 0.30  # one sentence against the closest thing it was given ...
SENTENCE_LETTER = 0.40  # ... or against the closest ordinary sentence of a message to a customer
ECHO = 0.75  # the draft against the staff member's request
AS_THEM = 0.85  # the draft against the customer's own message
SECOND_PERSON = frozenset({"you", "your", "yours", "yourself", "yourselves", "you're", "you've", "you'll", "you'd"})
GREETING_RE = re.compile(r"^\s*([^,!.?:;\n]{1,60})[,!]")
MAX_GREETING_WORDS = 5
CACHE = 4096

# What a message to a customer says besides its facts: the floor's idea of "an ordinary sentence".
LETTER = (
    "Thank you for your message.",
    "Thanks for getting in touch with us.",
    "I'm sorry for the trouble this has caused you.",
    "I hope you are well.",
    "Thank you for your patience.",
    "Let me know if you have any questions.",
    "Please reply to this email if there is anything else we can help with.",
    "We will come back to you with an answer soon.",
    "It was good to hear from you.",
    "I'm glad you enjoyed it.",
    "Have a lovely weekend.",
    "Looking forward to hearing from you.",
    "I hope this helps.",
    "Enjoy your coffee!",
)


@dataclass(frozen=True)
class FloorInput:
    """What a draft is measured against: the customer, the request, and everything the model was shown."""

    customer: Customer
    question: str
    message: str | None  # the customer's own words the reply answers
    related: tuple[str, ...]  # facts, history, notes, content ideas, the follow-up promise


class Floor:
    """Safe to share between threads; the ordinary sentences are embedded once."""

    def __init__(self, embed: Embed) -> None:
        self._embed = embed
        self._cache: dict[str, Vectors] = {}  # the facts and history of one answer come back for every draft
        self._lock = threading.Lock()

    def vectors(self, texts: Sequence[str]) -> Vectors:
        """Unit vectors, one row per text (cached)."""
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        with self._lock:
            have = {t: self._cache[t] for t in texts if t in self._cache}
        missing = [t for t in dict.fromkeys(texts) if t not in have]
        if missing:
            got = np.asarray(self._embed(missing), dtype=np.float32)
            got /= np.maximum(np.linalg.norm(got, axis=1, keepdims=True), 1e-12)
            fresh = dict(zip(missing, got, strict=True))
            have |= fresh
            with self._lock:
                if len(self._cache) + len(fresh) > CACHE:
                    self._cache.clear()
                self._cache.update(fresh)
        return np.stack([have[t] for t in texts])

    def letter(self) -> Vectors:
        return self.vectors(LETTER)

    def sentences(self, given: FloorInput) -> SentenceCheck:
        return SentenceCheck(self, given)

    def check(
        self, drafts: list[Draft], given: FloorInput, meaning: bool = True
    ) -> tuple[list[Draft], list[Violation]]:
        """The drafts that pass, and one violation per draft that does not. `meaning=False` for a draft
        in another language (the embedding model reads English): only its form and sources are checked."""
        kept: list[Draft] = []
        rejected: list[Violation] = []
        for n, draft in enumerate(drafts, 1):
            why = form_problem(draft, given.customer, english=meaning)
            why = why or (self.meaning_problem(draft, given) if meaning else None)
            if why is None:
                kept.append(draft)
            else:
                rejected.append(Violation(code="unusable_draft", detail=f"model draft {n} {why}; dropped"))
        return kept, rejected

    def meaning_problem(self, draft: Draft, given: FloorInput) -> str | None:
        sentences = body(draft.text) or [draft.text.strip()]
        whole = " ".join(sentences)
        related = [t for t in given.related if t.strip()] + ([given.message] if given.message else [])
        texts = [whole, given.question, *related, *sentences]
        vectors = self.vectors(texts)
        body_v, question_v = vectors[0], vectors[1]
        related_v = vectors[2 : 2 + len(related)]
        sentence_v = vectors[2 + len(related) :]
        if given.message and float(body_v @ related_v[-1]) >= AS_THEM:
            return "repeats the customer's own message instead of answering it"
        closest = float((related_v @ body_v).max()) if related else 0.0
        echo = float(body_v @ question_v)
        if echo >= ECHO and echo > closest:
            return "echoes the staff request instead of writing to the customer"
        if closest < ON_TOPIC:
            return "is off the subject of their message and the facts"
        letter_v = self.letter()
        for text, v in zip(sentences, sentence_v, strict=True):
            near_facts = float((related_v @ v).max()) if related else 0.0
            if near_facts < SENTENCE_RELATED and float((letter_v @ v).max()) < SENTENCE_LETTER:
                return f"says something that is no part of a message to them ('{clip(text)}')"
        return None


class SentenceCheck:
    """The sentence test alone, for text still streaming: the given texts are embedded once."""

    def __init__(self, floor: Floor, given: FloorInput) -> None:
        self.floor = floor
        related = [t for t in given.related if t.strip()] + ([given.message] if given.message else [])
        self.related_v = floor.vectors(related) if related else None

    def ok(self, sentence: str) -> bool:
        v = self.floor.vectors([sentence])[0]
        near = float((self.related_v @ v).max()) if self.related_v is not None else 0.0
        return near >= SENTENCE_RELATED or float((self.floor.letter() @ v).max()) >= SENTENCE_LETTER


def clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def name_words(customer: Customer) -> set[str]:
    return set(words(customer.name)) | set(words(customer.display_name))


def greeting(text: str) -> str | None:
    """The opening vocative ("Hi Jane," / "Dear Customer,"), if the draft opens with one."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    m = GREETING_RE.match(first)
    if m is None or len(m.group(1).split()) > MAX_GREETING_WORDS:
        return None
    return m.group(1)


def form_greeting_problem(text: str, customer: Customer) -> str | None:
    """A greeting that names someone or something other than this customer ("Dear Customer,")."""
    opening = greeting(text)
    if opening is None:
        return None
    rest = SALUTATION_RE.sub("", opening)
    capitals = {fold(w) for w in NAME_WORD_RE.findall(rest) if w[0].isupper()}
    if capitals and not capitals & name_words(customer):
        return f"greets '{opening.strip()}' instead of {customer.display_name}"
    return None


def body(text: str) -> list[str]:
    """The draft's sentences between its greeting (in any language: "Bonjour Jane,") and its sign-off."""
    opening = greeting(text)
    if opening is not None:
        text = text[text.index(opening) + len(opening) + 1 :]
    return body_sentences(text)


def form_problem(draft: Draft, customer: Customer, english: bool = True) -> str | None:
    """What makes a draft no message to this customer, by its form alone (no model needed). The
    person it is written in is read from English pronouns, so only for a draft in English."""
    if not draft.sources:
        return "cites no source it was shown"
    names = name_words(customer)
    opening = greeting(draft.text)
    if problem := form_greeting_problem(draft.text, customer):
        return problem
    last = next((line.strip(" ,.!") for line in reversed(draft.text.splitlines()) if line.strip()), "")
    signed = set(words(last))
    if signed and signed <= names and len(draft.text.splitlines()) > 1:
        return f"is signed '{last}', as if written by the customer"
    if not english:
        return None
    said = {w for s in body(draft.text) for w in words(s)}
    spoken_to = bool(said & SECOND_PERSON)
    if said & names and not spoken_to:
        return f"talks about {customer.display_name} instead of to them"
    if opening is None and not spoken_to:
        return "addresses nobody"
    return None
