"""Who a question is about: one customer, several (ambiguous), or nobody.

Lookup finds candidates (services.lookup); this decides for an answer, which needs more than a
lookup: a weak match by meaning is nobody, a question closer to the playbook than to any customer
asks a fact, and of two customers named the one the question addresses wins.
"""

from __future__ import annotations

import re

from bot.core.answer import Answer, Candidate, Warning
from bot.knowledge.models import Customer
from bot.services.knowledge import Snapshot
from bot.services.lookup import Match
from bot.services.text import COMMON_WORDS, capitalised_words, fold, words

ASK_DESCRIPTION_MIN = 0.5  # a description-only match this weak is not enough to draft for someone
STRONG_NAME = 0.6
PLAYBOOK_PARAGRAPHS = 5  # the paragraphs whose sentences a description match is weighed against
ADDRESSED_RE = re.compile(
    r"\b(?:reply to|respond to|answer|write to|email|e-mail|text|call|ring|message|tell|get back to|follow up with"
    r"|check in with|reach out to|contact|for|draft (?:a reply |something )?(?:to|for))\s*$"
)


# A description of a customer refers to a person ("the cafe owner in Leeds who complained…").
PERSON_WORDS = frozenset(
    {"who", "whose", "customer", "client", "owner", "manager", "guy", "lady", "woman", "man", "person", "someone"}
    | {"buyer", "member", "one", "she", "he", "her", "him", "they", "them", "account", "company", "firm", "chap"}
)


def _describes_a_person(question: str, customer: Customer, offer: frozenset[str]) -> bool:
    """A person word, or a word of who they are: their company or role, or a tag that is not a word of
    the business's offer ("health-plan" tags what they bought: "the health plan" asks about the plan)."""
    said = set(words(question))
    if said & PERSON_WORDS:
        return True
    profile = set(words(" ".join(filter(None, [customer.company, customer.role]))))
    profile |= set(words(" ".join(customer.tags))) - offer
    return bool((said & profile) - COMMON_WORDS)


def _asks_the_playbook(snap: Snapshot, question: str, customer_score: float) -> bool:
    """Whether the question is as close to what the playbook says as to this customer's file.

    Compared like with like: a customer's history line is one sentence, so the playbook is read sentence
    by sentence too (a paragraph about six plans is further from "the large dog plan a month?" than
    "Set up the Small Dog plan" is, though the playbook answers it and the customer only holds a plan)."""
    store = snap.finder.store
    if store is None:
        return False
    hits = store.query("playbook", question, n=PLAYBOOK_PARAGRAPHS)
    if not hits:
        return False
    best = hits[0].score
    if snap.meaning is not None:
        sentences = snap.facts.sentences.by_paragraph
        found = [s for hit in hits for s in sentences.get(hit.id.split("~", 1)[0], [])]
        parts = [text for s in found for text in (s.text, *s.parts)]  # bare, as a history line is stored
        if parts:
            best = max(best, float(snap.meaning.similarity([question], parts).max()))
    return best >= customer_score


def _separately_named(question: str, matches: list[Match]) -> list[Match]:
    """Two customers each named in their own words ("reply to Zoë, José had the same issue").

    The one the question addresses ("reply to Zoë") is returned alone; with no such cue, all of them
    (ambiguous). Empty when only one customer is named: "Jane Okafor" also matching the other Jane by
    her first name is the same words, not a second person.
    """
    top = matches[0]
    if top.matched == "description" or not top.named_by:
        return []
    capitals = capitalised_words(question)  # "frank feedback" names nobody; "Frank" might
    named = [top] + [
        m
        for m in matches[1:]
        if m.matched not in ("description", "id", "email", "fact")  # a pet's name is not a second person
        and m.named_by
        and m.named_by <= capitals
        and not (m.named_by & top.named_by)
        and m.score >= STRONG_NAME
    ]
    if len(named) == 1:
        return []
    earliest = min(named, key=lambda m: m.position)
    text = fold(question)
    starts = [found.start() for w in earliest.named_by if (found := re.search(rf"\b{re.escape(w)}\b", text))]
    before = text[: min(starts, default=0)]
    return [earliest] if ADDRESSED_RE.search(before) else named


def identify(snap: Snapshot, question: str, customer_id: str | None, context: str, answer: Answer) -> Customer | None:
    """The one customer a question is about, or None with the warning that says why (and the candidates)."""
    if customer_id:
        found = snap.kb.customers.get(customer_id)
        if found is None:
            answer.warnings.append(
                Warning(code="customer_not_found", message=f"There is no customer with id '{customer_id}'.")
            )
        return found
    matches = snap.finder.find(question)
    if context.strip() and (not matches or matches[0].matched == "description"):
        # A bare "what should I reply?" matches someone weakly by meaning; a name, email or id in
        # the thread (the customer's pasted message, an earlier mention) is better evidence.
        in_context = snap.finder.find(context)
        named = [m for m in in_context if m.matched != "description"]
        if named:
            matches = named
        elif not matches:
            matches = in_context
    if (
        matches
        and matches[0].matched == "description"
        and (
            matches[0].score < ASK_DESCRIPTION_MIN
            or not _describes_a_person(question, matches[0].customer, snap.finder.vocabulary)
            or _asks_the_playbook(snap, question, matches[0].score)
        )
    ):
        # "can you draft a reply?" is close to everyone a little, and "how much is the top service?"
        # describes no one and is closer to the playbook than to anyone's history: neither is a customer.
        matches = []
    if not matches:
        answer.warnings.append(
            Warning(
                code="customer_not_found",
                message="I couldn't tell which customer this is about. Try their name, email or company.",
            )
        )
        return None
    separate = _separately_named(question, matches)
    if len(separate) == 1:  # two people named, one addressed ("reply to Gareth - Hamid had the same question")
        return separate[0].customer
    ties = [m for m in matches if m.tie]
    tied = ties or separate
    if len(tied) > 1:
        answer.candidates = [Candidate(id=m.customer.id, name=m.customer.name, score=m.score) for m in tied]
        names = ", ".join(f"{m.customer.name} ({m.customer.id})" for m in tied)
        message = (
            f"Several customers match equally well: {names}."
            if ties
            else f"The question names several customers: {names}. Ask about one at a time."
        )
        answer.warnings.append(Warning(code="ambiguous_customer", message=message))
        return None
    if len(tied) == 1:
        return tied[0].customer
    return matches[0].customer
