"""Read a staff member's request once, into a typed `Reading`: whose words, what they asked, what staff want.

The signals are few and documented (README, "How a request is read"; the word lists and examples
are in `data/readings.yaml`): the customer's own words found by structure (quotes, a paste, a Slack
thread, the customer named before a speech verb, an unanswered `in` entry), then the request's
meaning compared with short examples of each purpose. The customer's own question is never blocked
by a wrong guess: when nothing is clear the request is answered as a reply, with the outreach
warnings shown beside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from bot.core.plan import PURPOSES, CustomerMessage, Intent, Purpose, Reading
from bot.knowledge.models import Channel, Customer, HistoryEntry
from bot.language.claims import OFFER_ATOMS, claims
from bot.services.channels import requested_channel
from bot.services.meaning import Meaning
from bot.services.text import COMMON_WORDS, fold, stem, words

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: about 10x faster
DATA = Path(__file__).parent / "data" / "readings.yaml"
OUTREACH_MIN = 0.25  # cosine similarity to an outreach example: below it, no purpose is clear
OUTREACH_MARGIN = 0.07  # ...and it must beat the closest reply example by this much
COMPLAINT_NEIGHBOURS = 3
COMPLAINT_MIN = 0.4  # ...and at least this close to one complaint
COMPLAINT_LEAN = 0.05  # how much closer to the complaints than to their plain twins a sentence must be
STAFF_ASK = 0.35  # a trailing sentence this close to "what should I say back?" is the staff member's ask
MIN_QUOTED_WORDS = 3


@dataclass(frozen=True)
class Lexicon:
    speech_verbs: tuple[str, ...]
    wish_verbs: tuple[str, ...]
    customer_words: frozenset[str]
    first_person: frozenset[str]
    third_person: frozenset[str]  # how staff speak of the customer ("ask him"), never how they speak of themselves
    wh_words: frozenset[str]  # "ask how often he wants…": an indirect question, staff's, not their wish
    reply_verbs: frozenset[str]  # "how do I reply to…": a request to answer, whatever it names
    reply: tuple[str, ...]
    outreach: dict[Purpose, tuple[str, ...]]
    complaints: tuple[tuple[str, str], ...]  # (complaint, its plain twin on the same subject)
    requests: tuple[tuple[str, str], ...]  # (a message asking us something, its twin that only tells)
    asking: re.Pattern[str]  # words that ask ("asked whether", "would like")
    praise: tuple[str, ...]  # thanks and praise: they ask for nothing
    asks_price: tuple[str, ...]
    directions: tuple[tuple[str, str], ...]  # (a reply wording, its outreach twin)
    asks_when: tuple[str, ...]


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    raw = yaml.load(DATA.read_text(encoding="utf-8"), Loader=_LOADER)
    outreach = {p: tuple(raw["outreach"][p]) for p in PURPOSES}
    return Lexicon(
        speech_verbs=tuple(sorted(raw["speech_verbs"], key=len, reverse=True)),
        wish_verbs=tuple(sorted(raw["wish_verbs"], key=len, reverse=True)),
        customer_words=frozenset(raw["customer_words"]),
        first_person=frozenset(raw["first_person"]),
        third_person=frozenset(raw["third_person"]),
        wh_words=frozenset(raw["wh_words"]),
        reply_verbs=frozenset(stem(v) for v in raw["reply_verbs"]),
        reply=tuple(raw["reply"]),
        outreach=outreach,
        complaints=tuple((str(a), str(b)) for a, b in raw["complaint_pairs"]),
        requests=tuple((str(a), str(b)) for a, b in raw["request_pairs"]),
        praise=tuple(raw["praise"]),
        asking=re.compile(r"\b(?:" + "|".join(re.escape(fold(str(w))) for w in raw["asking_words"]) + r")\b"),
        asks_price=tuple(raw["asks_price"]),
        directions=tuple((str(a), str(b)) for a, b in raw["direction_pairs"]),
        asks_when=tuple(raw["asks_when"]),
    )


QUOTED_RE = re.compile(r"[“«„‘]([^”»“’]+)[”»“’]|\"([^\"]+)\"|(?<![\w])'(.{12,}?)'(?![\w])", re.S)
CONNECTOR_RE = re.compile(
    r"^\s*(?:(?:[:,-]|that\b|to say\b|saying\b|asking\b|about\b|to ask\b|to tell us\b|in to say\b|us\b|in\b"
    r"|again\b|earlier\b|today\b|yesterday\b|this morning\b|last week\b)\s*)+",
    re.I,
)


def _words_of(customer: Customer) -> set[str]:
    names = words(" ".join(filter(None, [customer.name, customer.preferred_name, customer.company])))
    return {w for w in names if len(w) > 1}


def _speaks_to_us(text: str) -> bool:
    """Customer words speak as I/we to you, or ask: "can I pause my subscription?"."""
    said = set(words(text))
    if said & lexicon().third_person:  # "ask him what he'd like": staff speaking of them, not their words
        return False
    return "?" in text or bool(said & lexicon().first_person)


def quoted(question: str) -> str | None:
    found = [next(g for g in m.groups() if g) for m in QUOTED_RE.finditer(question)]
    found += ["\n".join(line.lstrip("> ").strip() for line in question.splitlines() if line.lstrip().startswith(">"))]
    texts = [t.strip() for t in found if len(t.split()) >= MIN_QUOTED_WORDS]
    return "\n".join(texts) if texts else None


def pasted(question: str) -> str | None:
    """Staff write their ask on one line and paste the customer's message on the others."""
    lines = [line.strip() for line in question.splitlines() if line.strip()]
    if len(lines) < 2:
        return None
    if lines[0].endswith((":", "?")) or len(lines) > 2:
        body = "\n".join(lines[1:])
        if lines[-1].endswith("?") and len(lines) > 2 and not _speaks_to_us("\n".join(lines[1:-1])):
            body = "\n".join(lines[:-1])
    else:
        body = lines[0] if lines[-1].endswith("?") else "\n".join(lines[1:])
    return body if _speaks_to_us(body) or len(body.split()) >= 8 else None


def _reference_re(customer: Customer | None, wish: bool = False) -> re.Pattern[str]:
    refs = set(lexicon().customer_words) | (_words_of(customer) if customer else set())
    verbs = "|".join(re.escape(v) for v in (lexicon().wish_verbs if wish else lexicon().speech_verbs))
    ref = "|".join(re.escape(r) for r in sorted(refs, key=len, reverse=True))
    between = "|".join(sorted(lexicon().third_person))  # "Jon … how often he wants": staff asking about him
    return re.compile(
        rf"\b(?:{ref})(?:['’]s)?\b(?:\s+(?!(?:{between})\b)[\w&'’.-]+){{0,4}}?"
        rf"\s+(?:has |had |just |also )?(?:{verbs})\b"
    )


def spoken(question: str, customer: Customer | None, wish: bool = False) -> tuple[bool, str | None]:
    """The customer named before a speech verb ("Ravi at Northwind texted that…"), or with `wish` a verb of
    wanting ("Saoirse wants a price…"): (found, what follows)."""
    folded = fold(question)
    m = _reference_re(customer, wish).search(folded)
    if m is None or set(words(folded[: m.start()])[-2:]) & lexicon().wh_words:
        return False, None
    rest = CONNECTOR_RE.sub("", question[m.end() :]).strip()
    return True, (rest if len(rest.split()) >= 2 else None)


def colon_paste(question: str, customer: Customer | None) -> str | None:
    """'From Hannah: are your bags plastic-free?' — what follows a colon after their name, in their voice."""
    before, sep, after = question.partition(":")
    if not sep or not after.strip() or customer is None:
        return None
    if not (set(words(before)) & (_words_of(customer) | lexicon().customer_words | {"from", "this"})):
        return None
    return after.strip() if _speaks_to_us(after) and len(after.split()) >= MIN_QUOTED_WORDS else None


DIRECTION_LEAN = 0.04  # how far a request leans to one twin of the direction pairs to count
REPLY_MIN = 0.45  # similarity to a reply example for a request that plainly asks for a reply
ASKS_FOR_DRAFT = 0.6  # this close to a reply example, a request with no one in it asks for a draft, not a fact


@dataclass(frozen=True)
class Verdict:
    """How a request reads by meaning: the closest outreach purpose, and whether outreach or a reply is clear."""

    purpose: Purpose | None
    outreach: bool = False
    reply: bool = False


NAMED_SHARE = {"perk": 0.55, "share_content": 0.35}  # this share of a perk's own words or a title's key words


class Reader:
    def __init__(self, meaning: Meaning | None, perks: Iterable[str] = (), titles: Iterable[str] = ()) -> None:
        """`perks` and `titles`: the folder's declared perks and content titles; a request that names one
        asks to offer that perk or share that piece, whatever its wording."""
        self.meaning = meaning
        # Each perk by the words that tell it from the other perks ("free" names none of them).
        named = {p: key_words(p) for p in perks}
        self.perks = {p: w - frozenset().union(*(o for q, o in named.items() if q != p)) for p, w in named.items()}
        self.named: list[tuple[Purpose, frozenset[str]]] = [("share_content", key_words(t)) for t in titles]

    def read(
        self,
        question: str,
        customer: Customer | None,
        *,
        context: str = "",
        intent: Intent | None = None,
        unanswered: HistoryEntry | None = None,
        shortcut: bool = False,
    ) -> Reading:
        """`unanswered`: their latest `in` entry with no reply after it. When it asks us something or reports
        a problem (`needs_answer`), an unclear request is a reply to it, and so is one read as outreach by
        its meaning alone; outreach that names what it is for (`names_an_errand`) is done as asked, with
        the warning beside it."""
        message, why = self._message(question, customer, context, shortcut)
        # The channel staff ask for is in their words, not in the customer's ("…the engagement letter said…").
        theirs = message.text.strip() if message and message.origin == "pasted" else ""
        staff_words = question.replace(theirs, " ") if theirs and theirs != question.strip() else question
        channel, foreign = requested_channel(staff_words)
        if intent is not None:
            reading = Reading(intent=intent, why="as staff asked", message=message)
            if intent == "outreach":
                reading.purpose = self.purpose(question, customer)[0] or "check_in"
                reading.message = None
            elif reading.message is None and unanswered is not None and customer is not None:
                reading.message = history_message(customer, unanswered)
        elif message is not None:
            reading = Reading(intent="reply", why=why, message=message)
        else:
            verdict = self.verdict(question, customer)
            purpose, clear = verdict.purpose, verdict.outreach
            waiting = unanswered is not None and self.needs_answer(unanswered.text)
            if purpose and clear and (not waiting or self.names_an_errand(question, purpose)):
                reading = Reading(intent="outreach", purpose=purpose, why=f"the request reads as {_label(purpose)}")
            elif unanswered is not None and customer is not None:
                asked = f"; the request also reads as {_label(purpose)}" if purpose and clear else ""
                reading = Reading(
                    intent="reply",
                    why=f"their message of {unanswered.date} is still unanswered{asked}",
                    message=history_message(customer, unanswered),
                )
            elif verdict.reply:
                reading = Reading(intent="reply", why="the request asks for a reply")
            else:
                reading = Reading(intent="reply", why="no clear sign either way: answered as a reply", sure=False)
        reading.channel, reading.foreign = channel, foreign
        if reading.purpose == "perk":
            reading.perk = self.named_perk(question)
        return reading

    def _message(
        self, question: str, customer: Customer | None, context: str, shortcut: bool
    ) -> tuple[CustomerMessage | None, str]:
        if shortcut:
            return CustomerMessage(text=question, origin="shortcut"), "the message the shortcut was run on"
        for found, why in (
            (quoted(question), "the request quotes the customer"),
            (pasted(question), "the customer's message is pasted in the request"),
            (colon_paste(question, customer), "the customer's words follow their name"),
        ):
            if found:
                return CustomerMessage(text=found, origin="pasted"), why
        said, what = spoken(question, customer)
        if said:
            text = self.without_staff_ask(what or question)
            return CustomerMessage(text=text, origin="pasted"), "the request says what the customer said or asked"
        if context.strip():
            thread = quoted(context) or context.strip()
            return CustomerMessage(text=thread, origin="thread"), "the request came with a thread"
        wished, wanted = spoken(question, customer, wish=True)
        # "Tobias wants to pause": their request (unless it names a perk to offer without asking for a reply)
        if wished and (self.named_in(question) is None or self.asks_to_reply(question)):
            text = self.without_staff_ask(wanted or question)
            return CustomerMessage(text=text, origin="pasted"), "the request says what the customer wants"
        described = self.without_staff_ask(_without_names(question, customer))
        if len(described.split()) >= 4 and not self.verdict(question, customer).reply and self.complaint(described):
            return CustomerMessage(text=question, origin="pasted"), "the request describes a problem they had"
        return None, ""

    def without_staff_ask(self, text: str) -> str:
        """The customer's words without the staff member's own ask after them ("…, what should I tell her?")."""
        if self.meaning is None:
            return text
        marks = (".", "!", "?", ";", ",", " - ", " – ", " — ")
        cut = max(text.rstrip().rfind(mark, 0, len(text.rstrip()) - 1) for mark in marks)
        tail = text[cut + 1 :].strip(" -–—")
        if cut <= 0 or not tail or len(tail.split()) > 10:
            return text
        sims = self.meaning.similarity([tail], list(lexicon().reply))[0]
        return text[:cut].strip() if float(max(sims)) >= STAFF_ASK else text

    def purpose(self, question: str, customer: Customer | None) -> tuple[Purpose | None, bool]:
        """The outreach purpose a request names (a perk, a piece of content), else the one closest in meaning,
        and whether it is clearly closer than a reply."""
        verdict = self.verdict(question, customer)
        return verdict.purpose, verdict.outreach

    def verdict(self, question: str, customer: Customer | None) -> Verdict:
        named = self.named_in(question)
        replies = self.asks_to_reply(question)  # "reply to Henrik about…": a reply, whatever it is about
        if named is not None:  # a perk or a piece of content named: offer or share it, unless asked to reply
            return Verdict(named, outreach=not replies, reply=replies)
        if self.meaning is None:
            return Verdict(None)
        return self._by_meaning(question, customer, replies)

    def _by_meaning(self, question: str, customer: Customer | None, replies: bool) -> Verdict:
        assert self.meaning is not None
        lex = lexicon()
        labels: list[str] = ["reply"] * len(lex.reply)
        examples: list[str] = list(lex.reply)
        for p, texts in lex.outreach.items():
            labels += [p] * len(texts)
            examples += texts
        # The whole request and each of its clauses ("Greta loved her flowers - ask her for a review"):
        # the clause that reads most clearly as outreach speaks for the request.
        query = _without_names(question, customer)
        clauses = [query, *(c for c in re.split(r"\s+[-–—]\s+|[.;!?]\s+", query) if len(c.split()) >= 3)]
        sims = self.meaning.similarity(list(dict.fromkeys(clauses)), examples)
        verdicts: list[tuple[float, str, float]] = []
        for row in sims:
            best: dict[str, float] = {}
            for label, sim in zip(labels, row, strict=True):
                best[label] = max(best.get(label, -1.0), float(sim))
            reply = best.pop("reply")
            found, score = max(best.items(), key=lambda kv: kv[1])
            verdicts.append((score - reply, found, score))
        margin, found, score = max(verdicts)
        whole = verdicts[0][0]  # a clause speaks for the request only if the whole does not lean to a reply
        lean = self._lean(query)
        outreach = (whole >= 0 and score >= OUTREACH_MIN and margin >= OUTREACH_MARGIN) or (
            lean <= -DIRECTION_LEAN and verdicts[0][2] >= OUTREACH_MIN
        )
        reply = lean >= DIRECTION_LEAN or (
            whole <= -OUTREACH_MARGIN and float(sims[0][: len(lex.reply)].max()) >= REPLY_MIN
        )
        if replies:
            return Verdict(found, outreach=False, reply=True)  # type: ignore[arg-type]
        return Verdict(found, outreach=outreach, reply=reply)  # type: ignore[arg-type]

    @staticmethod
    def asks_to_reply(question: str) -> bool:
        """The request uses a verb of replying ("how do I answer…", "draft reply")."""
        return bool({stem(w) for w in words(question)} & lexicon().reply_verbs)

    def named_in(self, question: str) -> Purpose | None:
        """The purpose of the perk or piece of content the request names, if it names one."""
        if self.named_perk(question):
            return "perk"
        said = key_words(question)
        for purpose, words_of_name in self.named:
            shared = len(said & words_of_name)
            if shared >= 2 and shared >= NAMED_SHARE[purpose] * len(words_of_name):
                return purpose
        return None

    def named_perk(self, question: str) -> str | None:
        """The declared perk the request names: two or more of the words that tell it from the other perks,
        over half of them, and more than any other perk shares ("…brought friends to Conversation Club"
        does not name the Conversation Club guest pass)."""
        said = key_words(question)
        shared = {name: len(said & words_of) for name, words_of in self.perks.items()}
        named = [n for n, k in shared.items() if k >= 2 and k >= NAMED_SHARE["perk"] * len(self.perks[n])]
        best = max(named, key=lambda n: shared[n], default=None)
        return best if best and sum(shared[n] == shared[best] for n in named) == 1 else None

    def asks_for_a_draft(self, question: str) -> bool:
        """The request is a staff member asking for a reply ("can you draft a reply?"), whatever it is about."""
        if self.meaning is None:
            return False
        return float(self.meaning.similarity([question], list(lexicon().reply)).max()) >= ASKS_FOR_DRAFT

    def _lean(self, query: str) -> float:
        """Positive when the request leans to replying, negative to reaching out (twin wordings)."""
        assert self.meaning is not None
        pairs = lexicon().directions
        to_reply = self.meaning.similarity([query], [a for a, _ in pairs])[0]
        to_reach = self.meaning.similarity([query], [b for _, b in pairs])[0]
        return float(np.sort(to_reply)[-3:].mean() - np.sort(to_reach)[-3:].mean())

    def names_an_errand(self, question: str, purpose: Purpose) -> bool:
        """An offer a reply cannot stand in for, named, not only read by meaning: a declared perk by its
        name, or the offer itself ("10% off", "free", "£20"). Content to send fits in the reply."""
        if purpose != "perk":
            return False
        return self.named_perk(question) is not None or any(atom.startswith(OFFER_ATOMS) for atom in claims(question))

    def needs_answer(self, text: str) -> bool:
        """Their message asks us something or reports a problem; "Mentioned they are building six winches"
        or "Signed the contract" only tells us something. Without the model every message needs one."""
        if self.meaning is None or "?" in text or lexicon().asking.search(fold(text)):
            return True
        pairs = lexicon().requests
        asks = self.meaning.similarity([text], [a for a, _ in pairs])
        tells = self.meaning.similarity([text], [b for _, b in pairs])
        k = COMPLAINT_NEIGHBOURS
        lean = float(np.sort(asks, axis=1)[0, -k:].mean() - np.sort(tells, axis=1)[0, -k:].mean())
        if lean >= 0:
            return True
        # Any lean to the complaints counts, close or not: the model tells subjects apart far better than
        # good news from bad ("went flat after the repair" / "collected the repaired bike"), and a reply to a
        # remark costs less than outreach over a problem left waiting. Praise closer than any complaint is none.
        praise = self.meaning.similarity([text], list(lexicon().praise))[0]
        bad = self.meaning.similarity([text], [a for a, _ in lexicon().complaints])[0]
        return not praised(praise, bad) and self.complaint(text, close=False)

    def complaint(self, text: str, close: bool = True) -> bool:
        """Their message reports something that went wrong. Each sentence is compared with complaints and
        their plain twins on the same subjects; the subject cancels out, what went wrong decides.
        `close=False`: leaning to the complaints is enough, however far from all of them."""
        if self.meaning is None or not text.strip():
            return False
        pairs = lexicon().complaints
        # What went wrong is told, not asked: questions ("would she do a review?") are not weighed.
        parts = [t.strip() for t in re.split(r"(?<=[.!?])\s+|\s+[-–—]\s+", text.strip()) if t.strip()]
        sentences = [t for t in parts if not t.endswith("?") and len(t.split()) >= MIN_QUOTED_WORDS]
        if not sentences:
            return False
        bad = self.meaning.similarity(sentences, [a for a, _ in pairs])
        plain = self.meaning.similarity(sentences, [b for _, b in pairs])
        k = COMPLAINT_NEIGHBOURS
        lean = np.sort(bad, axis=1)[:, -k:].mean(axis=1) - np.sort(plain, axis=1)[:, -k:].mean(axis=1)
        # Closer to complaints than to their twins, and close to one at all (not noise between two far sets).
        return bool(((lean >= COMPLAINT_LEAN) & (bad.max(axis=1) >= (COMPLAINT_MIN if close else -1.0))).any())


PRAISE_NEIGHBOURS = 2


def praised(to_praise: np.ndarray, to_complaints: np.ndarray) -> bool:
    """A text's similarities to the praise examples and to the complaints: closer to praise, it reports no
    problem, however much it leans to the complaints' subjects ("the new brakes are brilliant")."""
    k = PRAISE_NEIGHBOURS
    return bool(np.sort(to_praise)[-k:].mean() >= np.sort(to_complaints)[-k:].mean())


def key_words(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in words(text) if len(w) > 2 and w not in COMMON_WORDS)


def _label(purpose: Purpose | None) -> str:
    return (purpose or "check_in").replace("_", " ")


def _without_names(question: str, customer: Customer | None) -> str:
    text = re.sub(r"<[@#!][^>]+>", " ", question)
    if customer is None:
        return text
    names = _words_of(customer) | set(words(customer.email or ""))
    kept = [w for w in re.findall(r"\S+", text) if not (set(words(w)) & names)]
    return " ".join(kept) or text


def history_message(customer: Customer, entry: HistoryEntry) -> CustomerMessage:
    return CustomerMessage(
        text=entry.text,
        origin="history",
        source=f"{customer.path}#L{entry.line}",
        date=entry.date,
        channel=entry.channel,
    )


def unanswered_entry(customer: Customer) -> HistoryEntry | None:
    """Their latest `in` entry when no `out` entry comes after it (by date, then by line)."""
    dated = sorted((e for e in customer.history if e.date), key=lambda e: (e.date, e.line))
    latest_in = next((e for e in reversed(dated) if e.direction == "in"), None)
    if latest_in is None:
        return None
    later = [e for e in dated if e.direction == "out" and (e.date, e.line) > (latest_in.date, latest_in.line)]
    return None if later else latest_in


def answers_entry(reading: Reading, entry: HistoryEntry) -> bool:
    """The reply answers this history entry: it is the message read, or a message on the same subject
    (two or more of its content words: "asked for a recaulking quote" and "a quote for recaulking")."""
    message = reading.message
    if message is None:
        return False
    if message.origin == "history":
        return message.source is not None and message.source.endswith(f"#L{entry.line}")
    return len(key_words(message.text) & key_words(entry.text)) >= 2


def channel_of(message: CustomerMessage | None, allowed: list[Channel]) -> Channel | None:
    """A reply goes back the way their message came, when that way is allowed."""
    if message is None or message.channel not in allowed:
        return None
    return message.channel  # type: ignore[return-value]
