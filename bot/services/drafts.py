"""Offline drafts: composed from retrieved facts only, with no language model.

Every sentence that states a fact is lifted from a playbook passage or the
customer's own history and carries its source; when no fact answers the
question the draft says what staff will check and by when, never a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from bot.knowledge.models import Channel, Customer
from bot.services.answer import ContentIdea, Draft
from bot.services.guard import body_sentences
from bot.services.retrieval import Facts, Passage, latest_inbound, overlap, topic_of
from bot.services.text import SENTENCE_RE

PLEASANTRIES = {
    "Thank you for getting in touch.",
    "I hope that helps.",
    "I hope you're well.",
    "No need to reply if all is well.",
}
SHORT_CHANNELS = {"sms", "slack"}


@dataclass
class DraftPlan:
    customer: Customer
    channel: Channel
    intent: str
    question: str
    facts: Facts
    ideas: list[ContentIdea]
    today: dt.date
    extra_facts: list[str] = field(default_factory=list)  # statements the guard must accept (follow-up date)


def follow_up_date(today: dt.date, working_days: int = 2) -> dt.date:
    day = today
    while working_days:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            working_days -= 1
    return day


def human_date(day: dt.date) -> str:
    return f"{day.strftime('%A')} {day.day} {day.strftime('%B')}"


LABEL_RE = re.compile(r"^(?:[A-Z][\w'’-]*(?:\s+[\w'’-]+){0,3}):\s+(?=\w)")
STAFF_ONLY_RE = re.compile(
    r"\b(them|they|their|theirs|staff|colleague|escalate|internal|our team should)\b"
    r"|^(check|tell|open|ask|offer|escalate|log|never|always|do not|don't|use|apologi[sz]e|make sure|note|send"
    r"|remember|avoid|refer|flag|record|confirm|explain|quote|mention)\b",
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


def best_sentences(passage: Passage, question: str, limit: int, segment: str = "b2c") -> list[str]:
    text = passage.text.split(": ", 1)[1] if ": " in passage.text else passage.text
    sentences = [c for s in SENTENCE_RE.split(text) if s.strip() and (c := customer_facing(s))]
    if segment == "b2c":
        sentences = [s for s in sentences if not BUSINESS_ONLY_RE.search(s)]
    ranked = sorted(sentences, key=lambda s: -overlap(s, question))
    # Only sentences that share a word with the question, or the single best one of a close passage.
    chosen = [s for s in ranked[:limit] if overlap(s, question)] or ranked[:1]
    return [s for s in sentences if s in chosen]  # keep the playbook's own order


def greeting(customer: Customer, channel: Channel) -> str:
    return f"Hi {customer.display_name}," if channel not in SHORT_CHANNELS else f"Hi {customer.display_name}"


def sign_off(customer: Customer) -> str:
    return "Best regards" if customer.segment == "b2b" else "Warm wishes"


def _fact_lines(plan: DraftPlan, limit: int) -> tuple[list[str], list[str]]:
    """Playbook sentences that answer the question, each passage cited once."""
    topic = topic_of(plan.question, plan.customer)
    lines: list[str] = []
    sources: list[str] = []
    for rank, passage in enumerate(plan.facts.playbook[:2]):
        picked = best_sentences(passage, topic, limit - len(lines), plan.customer.segment)
        on_topic = overlap(" ".join(picked), topic) > 0
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
        due = follow_up_date(plan.today)
        promise = f"I'm checking this for you and will come back to you by {human_date(due)}."
        plan.extra_facts.append(promise)
        return [*sorry, *thanks, promise], sources
    if b2b:  # business first: the facts, then one line to close
        return [*sorry, *facts, *([] if short else ["Let me know if you need anything else for your order."])], sources
    closer = [] if short else ["I hope that helps."]
    return [*thanks, *sorry, *facts, *closer], sources


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
    if channel in SHORT_CHANNELS or short:
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
