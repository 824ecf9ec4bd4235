"""Offline drafts: composed from retrieved facts only, with no language model.

Every sentence that states a fact is lifted from a playbook passage or the
customer's own history and carries its source; when no fact answers the
question the draft says what staff will check and by when, never a guess.
"""

from __future__ import annotations

import re

from bot.core.answer import Draft
from bot.core.plan import DraftPlan, Passage, human_date
from bot.guard import body_sentences, claim_atoms
from bot.knowledge.models import Channel, Customer
from bot.language.numbers import NUMBER_WORDS
from bot.language.text import content_stems, overlap
from bot.services.retrieval import latest_inbound, topic_of
from bot.services.text import INTERNAL_ASIDES, SENTENCE_RE, fold

PLEASANTRIES = {
    "Thank you for getting in touch.",
    "I hope that helps.",
    "I hope you're well.",
    "No need to reply if all is well.",
}
SHORT_CHANNELS = {"sms", "slack"}
UNSIGNED_CHANNELS = SHORT_CHANNELS | {"phone"}  # said or texted: no letter layout (phone: talking points)


RESPONSE_TIME_RE = re.compile(
    r"\b(?:repl|respon|answer|get back|come back)\w*\b[^.]{0,40}?\bwithin (\d+|one|two|three|four|five)"
    r" ?(?:working |business )?(hours?|days?)\b",
    re.I,
)


def response_time(playbook: list[tuple[str, str]]) -> tuple[int, str] | None:
    """(working days, source) when a playbook page states how soon customers get an answer."""
    for path, body in playbook:
        m = RESPONSE_TIME_RE.search(body)
        if m:
            amount = m.group(1).lower()
            n = NUMBER_WORDS[amount] if amount in NUMBER_WORDS else int(amount)
            days = max(1, -(-n // 24)) if m.group(2).lower().startswith("hour") else max(1, n)
            return days, path
    return None


LABEL_RE = re.compile(r"^(?:[A-Z][\w'’-]*(?:\s+[\w'’-]+){0,3}):\s+(?=\w)")
STAFF_ONLY_RE = re.compile(  # guidance for staff, not facts for customers
    r"\b(them|they|their|theirs|staff|colleague|escalate|internal|our team should)\b"
    r"|^(check|tell|open|ask|offer|escalate|log|never|always|do not|don't|use|apologi[sz]e|make sure|note|send"
    r"|remember|avoid|refer|flag|record|confirm|explain|quote|mention)\b"
    r"|\b(do not|don't|never|must not) (quote|mention|promise|offer|discuss|share|reveal|disclose|give out|agree)\b"
    r"|\baccount manager\b|" + INTERNAL_ASIDES,
    re.I,
)
COMPLAINT_RE = re.compile(
    r"\b(complain\w*|late|broken|damaged|missing|wrong|disappoint\w*|faulty|not (here|arrived|working)|leak\w*"
    r"|too (coarse|fine|bitter|sour)|problem|issue|stale|refund)\b",
    re.I,
)


def second_person(sentence: str) -> str:
    """Playbook prose speaks of 'customers'; a draft speaks to one."""
    out = re.sub(r"\b(?:the|a) customer's\b", "your", sentence)
    out = re.sub(r"\b(?:the|a|each|every) customer (\w+?)(?<!s)s\b", r"you \1", out)
    out = re.sub(r"\b(?:the|a) customer\b", "you", out)
    out = re.sub(r"\b[Cc]ustomers'", "your", out)
    out = re.sub(r"\b[Cc]ustomers\b", "you", out)
    return out[0].upper() + out[1:] if out else out


def customer_facing(sentence: str) -> str | None:
    """A playbook sentence as said to the customer, or None when it is guidance for staff."""
    text = LABEL_RE.sub("", sentence.strip())
    text = text[0].upper() + text[1:] if text else text
    if not text:
        return None
    said = second_person(text)
    return None if STAFF_ONLY_RE.search(said) else said


BUSINESS_ONLY_RE = re.compile(r"\b(wholesale|trade (account|price)s?|business accounts?|invoices?|net \d+|b2b)\b", re.I)
BUSINESS_TITLE_RE = re.compile(r"\b(business|wholesale|trade|b2b|corporate|enterprise|reseller|partner)\w*\b", re.I)
# Words that say what kind of fact is wanted, not what it is about: "how much does X cost" is about X.
FACT_KIND_WORDS = frozenset({"cost", "costs", "price", "prices", "priced", "much", "charge", "charges", "many"})
PRICE_QUESTION_RE = re.compile(r"\b(how much|cost|costs|price|prices|charge|fee|rate)\b")
PRICE_BONUS = 0.5  # "how much…": of the sentences on the subject, the ones with an amount
CLOSE_PASSAGE = 0.55  # a passage this close to the question may lend its best sentence without a shared word


def subject(question: str) -> str:
    return " ".join(w for w in question.split() if fold(w).strip("?.,!") not in FACT_KIND_WORDS)


def subject_overlap(sentence: str, question: str) -> int:
    return overlap(sentence, subject(question))


def _has_amount(sentence: str) -> bool:
    """An amount of money, read as the guard reads it (£30, 30 pounds, 5 quid, 30p)."""
    return any(atom.startswith("money:") for atom in claim_atoms(sentence))


def _rank(sentences: list[str], question: str) -> list[tuple[float, str]]:
    """Sentences by the question words they share, each word weighted by how few sentences have it:
    in a rentals passage every sentence says "rental", only one says "week"."""
    wanted = content_stems(subject(question))
    shared = [content_stems(s) & wanted for s in sentences]
    spread = {w: sum(w in found for found in shared) for w in wanted}
    asks_price = PRICE_QUESTION_RE.search(fold(question)) is not None
    scored = [
        (sum(1 / spread[w] for w in found) + (PRICE_BONUS if found and asks_price and _has_amount(s) else 0), s)
        for found, s in zip(shared, sentences, strict=True)
    ]
    return sorted(scored, key=lambda pair: -pair[0])


def best_sentences(passage: Passage, question: str, limit: int, segment: str = "b2c") -> list[str]:
    title, _, text = passage.text.partition(": ") if ": " in passage.text else ("", "", passage.text)
    if segment == "b2c" and BUSINESS_TITLE_RE.search(title):
        return []  # a business-terms page says nothing a private customer should be told
    sentences = [c for s in SENTENCE_RE.split(text) if s.strip() and (c := customer_facing(s))]
    if segment == "b2c":
        sentences = [s for s in sentences if not BUSINESS_ONLY_RE.search(s)]
    ranked = _rank(sentences, question)
    # Only sentences about the question's subject, or the single best one of a very close passage.
    chosen = [s for score, s in ranked[:limit] if score > 0]
    if not chosen and passage.score >= CLOSE_PASSAGE:
        chosen = [s for _, s in ranked[:1]]
    return [s for s in sentences if s in chosen]  # keep the playbook's own order


def greeting(customer: Customer, channel: Channel) -> str:
    return f"Hi {customer.display_name}," if channel not in UNSIGNED_CHANNELS else f"Hi {customer.display_name}"


def sign_off(customer: Customer) -> str:
    return "Best regards" if customer.segment == "b2b" else "Warm wishes"


def _fact_lines(plan: DraftPlan, limit: int) -> tuple[list[str], list[str]]:
    """Playbook sentences that answer the question, each passage cited once."""
    topic = topic_of(plan.question, plan.customer)
    lines: list[str] = []
    sources: list[str] = []
    for rank, passage in enumerate(plan.facts.answer[:2]):
        picked = best_sentences(passage, topic, limit - len(lines), plan.customer.segment)
        on_topic = subject_overlap(" ".join(picked), topic) > 0
        if picked and (on_topic or (rank == 0 and passage.score >= 0.45)):
            lines += picked
            sources.append(passage.source)
        if len(lines) >= limit:
            break
    return lines, sources


def _reply_body(plan: DraftPlan, short: bool) -> tuple[list[str], list[str]]:
    facts, sources = _fact_lines(plan, 1 if short else 3)
    b2b = plan.customer.segment == "b2b"
    said = latest_inbound(plan.customer)
    sorry = ["I'm sorry this has not gone as it should."] if said and COMPLAINT_RE.search(said.text) else []
    if sorry and said:
        sources.insert(0, said.source)
    thanks = [] if short or b2b or sorry else ["Thank you for getting in touch."]
    if not facts:
        return [*sorry, *thanks, follow_up_promise(plan)], [*sources, *filter(None, [plan.reply_source])]
    if b2b:  # business first: the facts, then one line to close
        return [*sorry, *facts, *([] if short else ["Let me know if you need anything else."])], sources
    closer = [] if short else ["I hope that helps."]
    return [*thanks, *sorry, *facts, *closer], sources


def follow_up_promise(plan: DraftPlan) -> str:
    """The honest answer when the facts are missing; the guard accepts it as the plan's own promise."""
    promise = f"I'm checking this for you and will come back to you by {human_date(plan.follow_up)}."
    if promise not in plan.extra_facts:
        plan.extra_facts.append(promise)
    return promise


def holding_reply(plan: DraftPlan) -> Draft:
    """A reply that states nothing but the follow-up: for when every other draft broke a rule."""
    text = _layout(plan.customer, plan.channel, [follow_up_promise(plan)], True)
    return Draft(text=text, channel=plan.channel, sources=list(filter(None, [plan.reply_source])))


def _outreach_body(plan: DraftPlan, short: bool) -> tuple[list[str], list[str]]:
    c = plan.customer
    lines: list[str] = []
    sources: list[str] = []
    idea = plan.ideas[0] if plan.ideas else None
    if idea:
        link = f" {idea.url}" if idea.url else ""
        lines.append(f'I came across "{idea.title}" and thought it might be useful to you.{link}')
        sources.append(idea.path)
    recent = [p for p in plan.facts.history if p.kind == "history" and p.date and p.direction == "out"]
    if recent and not short:
        last = max(recent, key=lambda p: p.date or "")
        lines.append("I wanted to check in and see how things are going since we last spoke.")
        sources.append(last.source)
    if not lines:
        lines.append("I wanted to check in and see whether there is anything we can help with.")
    if not short and c.segment == "b2c":
        lines.append("No need to reply if all is well.")
    return lines, sources


def compose(plan: DraftPlan) -> list[Draft]:
    """One fuller draft and, where it says something different, one short one."""
    drafts: list[Draft] = []
    body_for = _reply_body if plan.intent == "reply" else _outreach_body
    for short in (plan.channel in SHORT_CHANNELS, True):
        body, sources = body_for(plan, short)
        text = _layout(plan.customer, plan.channel, body, short)
        if all(d.text != text for d in drafts):
            drafts.append(Draft(text=text, channel=plan.channel, sources=list(dict.fromkeys(sources))))
    return drafts[:2]


def _layout(customer: Customer, channel: Channel, body: list[str], short: bool) -> str:
    if channel in UNSIGNED_CHANNELS or short:
        return f"{greeting(customer, channel)}, {' '.join(body)}".replace(",,", ",")
    return f"{greeting(customer, channel)}\n\n{' '.join(body)}\n\n{sign_off(customer)}"


def restyle(plan: DraftPlan, draft: Draft, style: str) -> Draft:
    """Offline refinement: the same sentences, re-framed; nothing new is stated."""
    c = plan.customer
    short = plan.channel in SHORT_CHANNELS
    if style == "regenerate":
        fresh = [d for d in compose(plan) if d.text != draft.text]
        return fresh[0] if fresh else draft
    sentences = body_sentences(draft.text)
    if style == "shorter":
        sentences = [s for s in sentences if s not in PLEASANTRIES][:2] or sentences[:1]
        text = _layout(c, plan.channel, sentences, True)
    elif style == "formal":
        sentences = [s for s in sentences if s not in PLEASANTRIES or s.startswith("Thank you")]
        body = " ".join(sentences).replace("!", ".")
        text = f"Dear {c.display_name},\n\n{body}\n\nKind regards" if not short else f"Dear {c.display_name}, {body}"
    elif style == "warmer":
        opener = "Thank you for getting in touch." if plan.intent == "reply" else "I hope you're well."
        if opener not in sentences:
            sentences.insert(0, opener)
        body = " ".join(sentences)
        text = f"Hi {c.display_name},\n\n{body}\n\nWarm wishes" if not short else f"Hi {c.display_name}, {body}"
    else:
        return draft
    return draft.model_copy(update={"text": text})
