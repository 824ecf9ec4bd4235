"""Content worth sharing with one customer: fitting, allowed, new to them, with a checkable reason."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.core.answer import ContentIdea
from bot.index.store import VectorStore
from bot.knowledge.models import ContentItem, Customer
from bot.services.retrieval import topic_of
from bot.services.text import fold, key_stems, stems, touches

MAX_IDEAS = 3
QUESTION_MIN = 0.4  # cosine similarity of MiniLM: about where "on the same subject" starts
INTEREST_MIN = 0.45
ALREADY_SENT_RATIO = 88


def mentions(text: str, phrase: str) -> bool:
    """Every word of `phrase` appears (stemmed) in `text`: 'pour over' is not 'pouring a heart'."""
    wanted = stems(phrase) or frozenset(key_stems(phrase))
    return bool(wanted) and wanted <= stems(text)


@dataclass(frozen=True)
class Told:
    """What a customer's history already says, prepared once per answer."""

    stems: frozenset[str]
    text: str  # folded

    @classmethod
    def of(cls, customer: Customer) -> Told:
        joined = "\n".join(e.text for e in customer.history)
        return cls(stems(joined), fold(joined))


def already_sent(item: ContentItem, customer: Customer, told: Told | None = None) -> bool:
    """The history mentions its URL or, nearly word for word, its title."""
    told = told or Told.of(customer)
    if item.url and fold(item.url) in told.text:
        return True
    title = fold(item.title)
    keys = set(key_stems(item.title))
    if len(keys & told.stems) * 2 < len(keys):  # cheap filter before the fuzzy comparison
        return False
    for entry in customer.history:
        text = fold(entry.text)
        if item.url and fold(item.url) in text:
            return True
        if len(title) >= 8 and fuzz.partial_ratio(title, text) >= ALREADY_SENT_RATIO:
            return True
    return False


def blocked_reason(item: ContentItem, customer: Customer, told: Told | None = None) -> str | None:
    if item.audience not in ("all", customer.segment):
        return f"for {item.audience} customers"
    if item.promotional and customer.contact.marketing_opt_out:
        return "promotional, and the customer opted out of marketing"
    if item.promotional and customer.contact.frequency == "never":
        return "promotional, and the customer is never to be contacted first"
    item_text = " ".join([item.title, *item.topics, item.summary])
    wanted = stems(" ".join(customer.interests))
    for topic in customer.avoid:
        if touches(item_text, topic, wanted):
            return f"touches '{topic}', which the customer asked to avoid"
    if already_sent(item, customer, told):
        return "already sent to them (in their history)"
    return None


@dataclass
class Scored:
    item: ContentItem
    score: float
    reason: str


def _similarities(store: VectorStore | None, texts: list[str], n: int) -> list[dict[str, float]]:
    """For each text, content path -> best similarity (one Chroma call for all texts)."""
    found: list[dict[str, float]] = [{} for _ in texts]
    if store is None:
        return found
    for sims, hits in zip(found, store.query_many("content", texts, n=n), strict=True):
        for hit in hits:
            path = str(hit.metadata.get("path", ""))
            sims[path] = max(sims.get(path, 0.0), hit.score)
    return found


def _about(item: ContentItem) -> str:
    kind = "offer" if item.promotional else "piece"
    source = f"a third-party {kind}" if item.source == "third-party" else f"our own {kind}"
    return f"{source} on {', '.join(item.topics[:3]) or item.title}"


def _score(
    item: ContentItem,
    customer: Customer,
    on_question: dict[str, float],
    on_interest: dict[str, dict[str, float]],
) -> Scored | None:
    who = customer.display_name
    topic_text = " ".join([item.title, *item.topics])
    named = [i for i in customer.interests if mentions(topic_text, i) or mentions(i, topic_text)]
    q = on_question.get(item.path, 0.0)
    near = max(((sims.get(item.path, 0.0), i) for i, sims in on_interest.items()), default=(0.0, ""))
    bonus = 0.0 if item.promotional else 0.05  # between equals, what serves them beats what sells to them
    why: list[str] = []
    score = 0.0
    if q >= QUESTION_MIN:
        why.append("it speaks to what this question is about")
        score += q
    if named:
        why.append(f"{who} is interested in {', '.join(named)}")
        score += 0.6 + 0.2 * min(len(named), 2)
    elif near[0] >= INTEREST_MIN:
        why.append(f"it is close to {who}'s interest in {near[1]}")
        score += 0.9 * near[0]
    if why:
        reason = "; ".join(why)
        return Scored(item, score + bonus, f"{reason[0].upper()}{reason[1:]}; {_about(item)}.")
    return None


def suggest(
    customer: Customer,
    items: list[ContentItem],
    question: str,
    store: VectorStore | None,
    limit: int = MAX_IDEAS,
) -> list[ContentIdea]:
    """Up to `limit` items that are allowed, new to them, and fit their interests or the question."""
    if not items:
        return []
    n = min(50, len(items))
    interests = customer.interests[:5]
    on_question, *per_interest = _similarities(store, [topic_of(question, customer), *interests], n)
    on_interest = dict(zip(interests, per_interest, strict=True))
    scored = [s for item in items if (s := _score(item, customer, on_question, on_interest))]
    scored.sort(key=lambda s: (-s.score, s.item.path))
    # Best first, and the rules checked only until enough pass: checking every item of a large
    # library against the history cost about 30 ms an answer at 500 items.
    told = Told.of(customer)
    ideas: list[ContentIdea] = []
    for s in scored:
        if len(ideas) == limit:
            break
        if blocked_reason(s.item, customer, told) is None:
            ideas.append(
                ContentIdea(path=s.item.path, title=s.item.title, url=s.item.url, source=s.item.source, reason=s.reason)
            )
    return ideas
