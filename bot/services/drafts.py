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
from bot.services.retrieval import Facts, Passage, overlap, topic_of

SENTENCE_RE = re.compile(r"(?<=[.!?])\s+")
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


def second_person(sentence: str) -> str:
    """Playbook prose speaks of 'customers'; a draft speaks to one."""
    out = re.sub(r"\b[Cc]ustomers (can|may|will|should|must|get|have|receive|are)\b", r"you \1", sentence)
    out = re.sub(r"\b(the|a) customer\b", "you", out)
    out = re.sub(r"\bcustomers\b", "you", out)
    out = re.sub(r"\btheir\b", "your", out) if out != sentence else out
    return out[0].upper() + out[1:] if out else out


def best_sentences(passage: Passage, question: str, limit: int) -> list[str]:
    text = passage.text.split(": ", 1)[1] if ": " in passage.text else passage.text
    sentences = [s.strip() for s in SENTENCE_RE.split(text) if s.strip()]
    ranked = sorted(sentences, key=lambda s: -overlap(s, question))
    chosen = ranked[:limit]
    return [s for s in sentences if s in chosen]  # keep the playbook's own order


def greeting(customer: Customer, channel: Channel) -> str:
    return f"Hi {customer.display_name}," if channel not in SHORT_CHANNELS else f"Hi {customer.display_name}"


def sign_off(customer: Customer) -> str:
    return "Best regards" if customer.segment == "b2b" else "Warm wishes"


def _fact_lines(plan: DraftPlan, limit: int) -> tuple[list[str], list[str]]:
    topic = topic_of(plan.question, plan.customer)
    lines: list[str] = []
    sources: list[str] = []
    for passage in plan.facts.playbook[:2]:
        picked = best_sentences(passage, topic, limit)
        if picked and (overlap(" ".join(picked), topic) or passage.score >= 0.45):
            lines += [second_person(s) for s in picked]
            sources.append(passage.source)
        if len(lines) >= limit:
            break
    return lines[:limit], sources


def _reply_body(plan: DraftPlan, short: bool) -> tuple[list[str], list[str]]:
    facts, sources = _fact_lines(plan, 1 if short else 3)
    b2b = plan.customer.segment == "b2b"
    if not facts:
        due = follow_up_date(plan.today)
        promise = f"I'm checking this for you and will come back to you by {human_date(due)}."
        plan.extra_facts.append(promise)
        opener = [] if short or b2b else ["Thank you for getting in touch."]
        return [*opener, promise], sources
    if b2b:
        return [*facts, "Let me know if you need anything else for your order."][
            : len(facts) + (0 if short else 1)
        ], sources
    opener = [] if short else ["Thank you for getting in touch."]
    closer = [] if short else ["I hope that helps."]
    return [*opener, *facts, *closer], sources


def _outreach_body(plan: DraftPlan, short: bool) -> tuple[list[str], list[str]]:
    c = plan.customer
    lines: list[str] = []
    sources: list[str] = []
    idea = plan.ideas[0] if plan.ideas else None
    if idea:
        link = f" {idea.url}" if idea.url else ""
        lines.append(f'I came across "{idea.title}" and thought it might be useful to you.{link}')
        sources.append(idea.path)
    recent = [p for p in plan.facts.history if p.kind == "history" and p.date]
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
