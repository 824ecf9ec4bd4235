"""avoided_topic: a sentence that brings up something on the customer's `avoid` list."""

from __future__ import annotations

from functools import lru_cache

from bot.guard.context import GuardContext
from bot.guard.draft import Sentence
from bot.guard.rule import Rule
from bot.language.lexicon import lexicons
from bot.language.text import compounds_named, key_stems, stem, stems, words


@lru_cache(maxsize=1)
def selling_stems() -> frozenset[str]:
    """Words that sell, in every language (an avoided "discount codes" is brought up by any discount)."""
    return frozenset(stem(w) for lex in lexicons().values() for w in lex.data.selling)


@lru_cache(maxsize=4096)
def kinds(text: str, overlapping: bool = True, codes: tuple[str, ...] = ()) -> frozenset[str]:
    """The kinds of offer, the channels and the topics (reviews, health…) a text names in words, in any
    language: how a topic is compared across languages ("discount codes" and "Rabattcode" share
    `offer:code`). Phrases built on a number
    ("20% off") are values, not words for a topic."""
    found: set[str] = set()
    known = lexicons()
    for lex in [known[c] for c in codes] if codes else known.values():
        ws = lex.words(text)
        for table, prefix in (
            ("claims", "offer"),
            ("channels", "channel"),
            ("topics", "topic"),
            ("sensitive", "topic"),
        ):
            found |= {f"{prefix}:{m.key}" for m in lex.find(table, ws, overlapping=overlapping) if "#" not in m.phrase}
    return frozenset(found)


@lru_cache(maxsize=4096)
def topic_kinds(topic: str) -> frozenset[str]:
    """What a topic names (its longest reading: "discount codes" is codes), plus what each of its selling
    words names on its own ("discount")."""
    selling = [w for w in words(topic) if stem(w) in selling_stems()]
    return kinds(topic, overlapping=False).union(*(kinds(w) for w in selling))


def brings_up(sentence: Sentence, topic: str) -> bool:
    """All of a topic's key words ("price rises" is not "the price is £22"), or one of them that sells,
    or any of them in a sentence that sells, or in any language a kind of offer or channel the topic names."""
    named, rest = compounds_named(sentence.text, topic)  # "e-bikes" is brought up by an e-bike, not a bike
    if named:
        return True
    keys = key_stems(rest) if rest.strip() else ()
    if not keys:
        return bool(topic_kinds(topic) & kinds(sentence.text, codes=sentence.codes if sentence.sure else ()))
    have = stems(sentence.text)
    if all(k in have for k in keys):
        return True
    selling = any(atom.startswith(("offer:", "pct:")) for atom in sentence.claims)
    if any(k in have and (selling or k in selling_stems()) for k in keys):
        return True
    codes = sentence.codes if sentence.sure else ()  # its own language's words when it is sure of it
    return bool(topic_kinds(topic) & kinds(sentence.text, codes=codes))


class AvoidedTopic(Rule):
    code = "avoided_topic"
    prompt = "Never bring up a topic on the customer's `avoid` list, in any words or language."

    def check(self, sentence: Sentence, ctx: GuardContext) -> list[str]:
        return [
            f"mentions '{topic}', which is on their avoid list"
            for topic in ctx.customer.avoid
            if brings_up(sentence, topic)
        ]
