"""Small text helpers shared by lookup, intent, retrieval and the guard: folding, words, names, a light stemmer."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

SENTENCE_RE = re.compile(r"(?<=[.!?])\s+")  # between sentences of a draft or a playbook paragraph
WORD_RE = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
# Bounded parts (RFC 5321 lengths), starting where a word starts: linear time even on a 600 KB "word"
# in a knowledge file, where `[...]+@` backtracked from every position (an answer took minutes).
EMAIL_RE = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}")

# Words that may be typed in lower case in a question without naming anyone. A name
# that is also one of these ("Will", "May") is only taken when capitalised.
# Asides meant for staff only ("Between us, we can stretch the discount if the client pushes").
INTERNAL_ASIDES = (
    r"\b(between (us|ourselves)|internal(ly)?|staff only|off the record|confidential|not for (customers|clients)"
    r"|if (they|the client|the customer|he|she) (push|pushes|insist|insists|complain|complains)"
    r"|room to (negotiate|move)|padded|our margins?|floor price|cost price|don't tell|do not tell"
    r"|keep (this|it) to yourself|(only|just) if (asked|they ask|pressed))\b"
)

COMMON_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "ask",
        "asked",
        "at",
        "back",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "best",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "customer",
        "customers",
        "did",
        "do",
        "does",
        "doing",
        "done",
        "down",
        "draft",
        "drafts",
        "during",
        "each",
        "email",
        "few",
        "for",
        "from",
        "further",
        "get",
        "give",
        "go",
        "going",
        "good",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "last",
        "late",
        "let",
        "like",
        "me",
        "message",
        "more",
        "most",
        "my",
        "myself",
        "need",
        "new",
        "next",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "order",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "parcel",
        "please",
        "reach",
        "reply",
        "respond",
        "same",
        "say",
        "send",
        "sent",
        "she",
        "should",
        "so",
        "some",
        "such",
        "tell",
        "than",
        "thank",
        "thanks",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "today",
        "too",
        "under",
        "until",
        "up",
        "us",
        "very",
        "wants",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "write",
        "yesterday",
        "you",
        "your",
        "yours",
        "check",
        "follow",
        "answer",
        "up",
        "week",
        "month",
        "call",
        "text",
        "note",
        "about",
        "regarding",
        "re",
        "fw",
        "hi",
        "hello",
        "dear",
        "may",
        "june",
        "april",
        "august",
        "mark",
        "bill",
        "rose",
        "grace",
        "hope",
        "joy",
        "faith",
        "summer",
        "autumn",
        "sunny",
        "chance",
    ]
)


# Words of a staff member's question that say nothing about its subject (for matching the question
# against playbook sentences; COMMON_WORDS above is for names, and keeps words like "late" and "order").
QUESTION_WORDS = COMMON_WORDS - frozenset(
    [
        "late",
        "parcel",
        "order",
        "email",
        "call",
        "text",
        "note",
        "week",
        "month",
        "check",
        "message",
        "sent",
        "send",
        "follow",
        "today",
        "yesterday",
        # Names that are also things asked about ("the October bill", "the summer timetable").
        "bill",
        "summer",
        "autumn",
    ]
)


# Letters that Unicode does not split into a base letter and an accent ("Sørensen" -> "sorensen").
UNDECOMPOSABLE = str.maketrans(
    {"ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe", "ß": "ss", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D"}
    | {"þ": "th", "Þ": "Th", "ð": "d", "Ð": "D", "ı": "i"}
)


def fold(text: str) -> str:
    """Lower-case and strip accents, so 'Zoë' matches 'zoe'."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.translate(UNDECOMPOSABLE))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


POSSESSIVE_RE = re.compile(r"['’]s$")


def words(text: str) -> list[str]:
    """Folded word tokens, possessives removed ("Jane's" -> "jane")."""
    return [POSSESSIVE_RE.sub("", w) if "'" in w or "’" in w else w for w in WORD_RE.findall(fold(text))]


NAME_WORD_RE = re.compile(r"\b[^\W\d_][\w'’-]*")


def capitalised_words(text: str) -> set[str]:
    """Folded forms of the words written with a capital letter (not at sentence start only)."""
    return {POSSESSIVE_RE.sub("", fold(w)) for w in NAME_WORD_RE.findall(text) if w[0].isupper()}


def stem(word: str) -> str:
    """A light suffix-stripper: enough to match 'calls' with 'call' and 'codes' with 'code'."""
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ed", "es", "s"):
        if suffix == "es" and not word[:-2].endswith(("x", "ch", "sh", "ss", "z")):
            continue  # "prices" is "price" + s, "boxes" is "box" + es
        if suffix == "s" and word.endswith("s") and len(word) >= 4 and not word.endswith(("ss", "us", "is")):
            return word[:-1]  # "fees" is "fee"; "-ss", "-us", "-is" words take the rule below
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


@lru_cache(maxsize=16384)  # content titles, topics and avoid phrases come back on every answer
def stems(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in words(text) if len(w) > 2)


@lru_cache(maxsize=16384)
def key_stems(text: str) -> tuple[str, ...]:
    """The stems that carry a phrase's meaning ('discount codes' -> discount, code)."""
    keys = tuple(stem(w) for w in words(text) if len(w) > 3 and w not in COMMON_WORDS)
    return keys or tuple(stem(w) for w in words(text))


def touches(text: str, phrase: str, wanted: frozenset[str] = frozenset()) -> bool:
    """Whether `text` brings up `phrase` (any of its key words): the strict test the avoid list needs.
    `wanted`: stems of what the customer is glad to hear about (their interests); a key word among them
    does not bring the phrase up alone ("selling the boat" for someone interested in wooden boats)."""
    named, rest = compounds_named(text, phrase)
    if named:
        return True
    if not rest.strip():
        return False
    have = stems(text)
    keys = key_stems(rest)
    own = [k for k in keys if k not in wanted] or list(keys)
    return any(k in have for k in own)


COMPOUND_RE = re.compile(r"\w+(?:-\w+)+")


def compounds_named(text: str, phrase: str) -> tuple[bool, str]:
    """A phrase's hyphenated words are single words ("e-bikes" is not "bikes"): whether `text` names one
    of them (with or without its hyphens), and the rest of the phrase, to be matched word by word."""
    compounds = COMPOUND_RE.findall(fold(phrase))
    if not compounds:
        return False, phrase
    folded = fold(text)
    named = any(re.search(rf"\b{_loose_compound(c)}\b", folded) for c in compounds)
    return named, COMPOUND_RE.sub(" ", fold(phrase))


def _loose_compound(compound: str) -> str:
    """A pattern for a hyphenated word written with or without its hyphens, singular or plural."""
    parts = [re.escape(stem(p)) for p in compound.split("-")]
    return r"[\s-]?".join(parts) + r"\w*"


INVISIBLE_RE = re.compile("[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]")
# Letters from other scripts that look Latin ("Мrs" with a Cyrillic М): read as the letter they mimic.
LOOKALIKES = str.maketrans("АВЕКМНОРСТХаеорсухіјѕԁӏΑΒΕΖΗΙΚΜΝΟΡΤΥΧαοριν", "ABEKMHOPCTXaeopcyxijsdlABEZHIKMNOPTYXaopiv")


def clean(text: str) -> str:
    """Invisible characters removed and look-alike letters made Latin, so no check can be sidestepped."""
    return INVISIBLE_RE.sub("", text).translate(LOOKALIKES)


def content_stems(text: str) -> set[str]:
    """Content words, stemmed (question words like 'should' and 'answer' do not count)."""
    return {stem(w) for w in words(text) if len(w) > 3 and w not in QUESTION_WORDS}


def overlap(a: str, b: str) -> int:
    """Shared content words."""
    return len(content_stems(a) & content_stems(b))
