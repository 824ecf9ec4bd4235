"""Offline drafts: written from the plan's facts only, with no language model.

A reply leads with the answer: one apology when their message reports a problem, the facts that
answer it (in "you"), and for whatever the facts do not cover, an honest promise to check and
come back by a date. Outreach is written for its purpose (outreach.py). Every sentence that
states a fact is lifted from a source the draft cites.
"""

from __future__ import annotations

import re

from bot.core.answer import Draft
from bot.core.plan import DraftPlan, human_date
from bot.guard import body_sentences
from bot.knowledge.models import Channel, Customer
from bot.language.numbers import NUMBER_WORDS
from bot.services.outreach import outreach_body
from bot.services.voice import fact_sentence, said_to_them

SHORT_CHANNELS = {"sms", "slack"}
UNSIGNED_CHANNELS = SHORT_CHANNELS | {"phone"}  # said or texted: no letter layout (phone: talking points)
FACT_IN_DRAFT = 0.45  # a customer fact this close to their message is part of the answer, not only for staff
PLEASANTRIES = {
    "Thank you for getting in touch.",
    "Thank you for your message.",
    "I hope that helps.",
    "I hope you're well.",
    "No need to reply if all is well.",
    "Let me know if you need anything else.",
}
# Sentences that carry a draft but say nothing by themselves: a draft left with only these (the guard
# removed what they framed, an offer or a fact) is no message, and is not shown.
SAYS_NOTHING = PLEASANTRIES | {
    "Thank you for getting in touch.",
    "If there's anything we can do, just reply to this message.",
    "If you'd like to change anything before then, just reply to this message.",
    "Just reply to let me know if you'd like it.",
    "I'm sorry it has taken us so long to come back to you.",
}
RESPONSE_TIME_RE = re.compile(
    r"\b(?:repl|respon|answer|get back|come back)\w*\b[^.]{0,40}?\bwithin (\w+)"
    r" ?(?:working |business )?(hours?|days?)\b",
    re.I,
)


def response_time(playbook: list[tuple[str, str]]) -> tuple[int, str] | None:
    """(working days, source) when a customer-facing playbook page states how soon customers get an answer."""
    for path, body in playbook:
        m = RESPONSE_TIME_RE.search(body)
        n = _number(m.group(1)) if m else None
        if m and n:
            days = max(1, -(-n // 24)) if m.group(2).lower().startswith("hour") else max(1, n)
            return days, path
    return None


def _number(word: str) -> int | None:
    return int(word) if word.isdigit() else NUMBER_WORDS.get(word.lower())


def greeting(customer: Customer, channel: Channel) -> str:
    return f"Hi {customer.display_name}," if channel not in UNSIGNED_CHANNELS else f"Hi {customer.display_name}"


def sign_off(customer: Customer) -> str:
    return "Best regards" if customer.segment == "b2b" else "Warm wishes"


def follow_up_promise(plan: DraftPlan, what: str = "this") -> str:
    """The honest answer when facts are missing; the guard accepts it as the plan's own promise."""
    promise = f"I'm checking {what} for you and will come back to you by {human_date(plan.follow_up)}."
    if promise not in plan.extra_facts:
        plan.extra_facts.append(promise)
    return promise


def holding_reply(plan: DraftPlan) -> Draft:
    """A reply that states nothing but the follow-up: for when every other draft broke a rule."""
    text = layout(plan.customer, plan.channel, [follow_up_promise(plan)], True)
    return Draft(text=text, channel=plan.channel, sources=list(filter(None, [plan.reply_source])))


def apology(plan: DraftPlan, late: bool = False) -> str:
    """One apology: for the trouble, and for the wait when their message has waited (never two sentences)."""
    if plan.customer.segment == "b2b":
        return "I'm sorry for the trouble this has caused" + (", and for our slow reply." if late else ".")
    if late:
        return "I'm sorry about this, and for taking so long to reply."
    return "I'm sorry about this, and thank you for letting us know."


def reply_body(plan: DraftPlan, short: bool) -> tuple[list[str], list[str]]:
    facts = plan.facts
    answers = [said_to_them(p.text) for p in facts.answer[: 1 if short else 3]]
    sources = [p.source for p in facts.answer[: len(answers)]]
    direct = [p for p in facts.customer if p.score >= FACT_IN_DRAFT][: 0 if short and answers else 2]
    answers += [fact_sentence(p) for p in direct]
    sources += [p.source for p in direct]
    lines: list[str] = []
    late = plan.late
    if late and not plan.complaint:
        lines.append("I'm sorry it has taken us so long to come back to you.")
    if plan.complaint:
        lines.append(apology(plan, late))
        if plan.message and plan.message.source:
            sources.insert(0, plan.message.source)
    elif not short and not late and plan.customer.segment == "b2c":
        lines.append("Thank you for getting in touch.")
    lines += answers
    if facts.uncovered or not answers:
        lines.append(follow_up_promise(plan, "the rest" if answers else "this"))
        if plan.reply_source:
            sources.append(plan.reply_source)
    if not short:
        lines.append(
            "Let me know if you need anything else." if plan.customer.segment == "b2b" else "I hope that helps."
        )
    return lines, sources


def compose(plan: DraftPlan) -> list[Draft]:
    """One fuller draft and, where it says something different, one short one."""
    drafts: list[Draft] = []
    for short in (plan.channel in SHORT_CHANNELS, True):
        if plan.intent == "outreach":
            body, sources = outreach_body(plan, short)
        else:
            body, sources = reply_body(plan, short)
        if not body:
            continue
        text = layout(plan.customer, plan.channel, body, short)
        if all(d.text != text for d in drafts):
            drafts.append(Draft(text=text, channel=plan.channel, sources=list(dict.fromkeys(sources))))
    return drafts[:2]


def layout(customer: Customer, channel: Channel, body: list[str], short: bool) -> str:
    if channel in UNSIGNED_CHANNELS or short:
        return f"{greeting(customer, channel)}, {' '.join(body)}".replace(",,", ",")
    return f"{greeting(customer, channel)}\n\n{' '.join(body)}\n\n{sign_off(customer)}"


def restyle(plan: DraftPlan, draft: Draft, style: str, sentences: list[str]) -> Draft:
    """Offline refinement: the same sentences (the draft's body), re-framed; nothing new is stated."""
    c = plan.customer
    short = plan.channel in SHORT_CHANNELS
    if style == "regenerate":
        fresh = [d for d in compose(plan) if d.text != draft.text]
        return fresh[0] if fresh else draft
    if style == "shorter":
        sentences = [s for s in sentences if s not in PLEASANTRIES][:2] or sentences[:1]
        text = layout(c, plan.channel, sentences, True)
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


def says_something(draft: Draft) -> bool:
    """Whether a draft still says something once its greeting and framing sentences are set aside."""
    return any(sentence not in SAYS_NOTHING for sentence in body_sentences(draft.text))
