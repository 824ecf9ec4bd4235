"""Content worth sharing with one customer: fitting, allowed, new to them, with a checkable reason."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.index.store import VectorStore
from bot.knowledge.models import ContentItem, Customer
from bot.services.answer import ContentIdea
from bot.services.text import COMMON_WORDS, fold, words

MAX_IDEAS = 3
MIN_SCORE = 0.3
ALREADY_SENT_RATIO = 88


def stem(word: str) -> str:
    return word[:5] if len(word) > 5 else word.rstrip("s")


def stems(text: str) -> set[str]:
    return {stem(w) for w in words(text) if w not in COMMON_WORDS and len(w) > 2}


def mentions(text: str, phrase: str) -> bool:
    """Every content word of `phrase` appears (stemmed) in `text`."""
    wanted = stems(phrase)
    return bool(wanted) and wanted <= stems(text)


def already_sent(item: ContentItem, customer: Customer) -> bool:
    title = fold(item.title)
    for entry in customer.history:
        text = fold(entry.text)
        if item.url and fold(item.url) in text:
            return True
        if len(title) >= 8 and fuzz.partial_ratio(title, text) >= ALREADY_SENT_RATIO:
            return True
    return False


def blocked_reason(item: ContentItem, customer: Customer) -> str | None:
    if item.audience not in ("all", customer.segment):
        return f"for {item.audience} customers"
    if item.promotional and customer.contact.marketing_opt_out:
        return "promotional, and the customer opted out of marketing"
    item_text = " ".join([item.title, *item.topics, item.summary])
    for topic in customer.avoid:
        if mentions(item_text, topic):
            return f"touches '{topic}', which the customer asked to avoid"
    if already_sent(item, customer):
        return "already sent to them (in their history)"
    return None


@dataclass
class Scored:
    item: ContentItem
    score: float
    reason: str


def _reason(item: ContentItem, customer: Customer, interests: list[str], similarity: float, question: str) -> str:
    who = customer.display_name
    source = "a third-party piece" if item.source == "third-party" else "our own piece"
    if interests:
        return f"{who} is interested in {', '.join(interests)}; {source} on {', '.join(item.topics[:3]) or item.title}."
    if similarity >= MIN_SCORE and question.strip():
        return f"Close to what this question is about; {source} on {', '.join(item.topics[:3]) or item.title}."
    return f"Fits {who}'s {customer.segment.upper()} needs; {source}."


def suggest(
    customer: Customer,
    items: list[ContentItem],
    question: str,
    store: VectorStore | None,
    limit: int = MAX_IDEAS,
) -> list[ContentIdea]:
    query = " ".join([question, *customer.interests])
    similarity: dict[str, float] = {}
    if store is not None and items:
        for hit in store.query("content", query, n=min(50, len(items))):
            path = str(hit.metadata.get("path", ""))
            similarity[path] = max(similarity.get(path, 0.0), hit.score)
    scored: list[Scored] = []
    for item in items:
        if blocked_reason(item, customer):
            continue
        topic_text = " ".join([item.title, *item.topics])
        interests = [i for i in customer.interests if mentions(topic_text, i) or mentions(i, topic_text)]
        sim = similarity.get(item.path, 0.0)
        score = 0.35 * min(len(interests), 2) + sim + (0.05 if not item.promotional else 0.0)
        if interests or sim >= MIN_SCORE:
            scored.append(Scored(item, score, _reason(item, customer, interests, sim, question)))
    scored.sort(key=lambda s: (-s.score, s.item.path))
    return [
        ContentIdea(path=s.item.path, title=s.item.title, url=s.item.url, source=s.item.source, reason=s.reason)
        for s in scored[:limit]
    ]
