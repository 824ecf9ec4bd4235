"""What a staff member's question asks for: a reply or proactive outreach, and on which channel.

The difference matters for consent: answering a customer's own message is
always allowed, reaching out first is not (DESIGN.md, "Consent first").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.knowledge.models import Channel, Customer
from bot.services.text import fold

Intent = Literal["reply", "outreach"]

REPLY_CUES = re.compile(
    r"\b(repl(y|ies|ying)|respond|answer(ing)?|get back to|(she|he|they|customer) (asked|asks|wrote|writes|said|says"
    r"|wants to know|is asking|complained|emailed|texted|messaged|called|rang)|asked (us|me|about|whether|if)"
    r"|(her|his|their) (question|message|email|complaint|enquiry|inquiry|text|voicemail)|wrote in|came back"
    r"|(asked|asks|asking|wants to know|wondering|wonders|wrote|writes|emailed|messaged|complained|complains)"
    r" (how|what|when|where|why|whether|if|about|for|us|me|to)"
    r"|what (do|should|shall|can) (i|we) write back"
    r"|\b(says|wants|needs|would like|is after|is looking for|posted|sent us) "
    r"|asked (on|by|via|over|in) \w+ (if|whether|about|for|how|what|when|why)"
    r"|(could|can|would) you (please )?(confirm|tell|let|send|check|advise)|hi team|hello team|wrote:"
    r"|what (do|should|shall) (i|we) (tell|say to) (her|him|them)\b"
    r"|how (do|should|shall|can) (i|we) (respond|reply|answer))\b"
)
OUTREACH_CUES = re.compile(
    r"\b(check(ing)? in|follow(ing)?[ -]?up|reach(ing)? out|touch(ing)? base|send (her|him|them|something)"
    r"|share|introduc\w*|let (her|him|them) know about|tell (her|him|them) about|promot\w*|newsletter"
    r"|what (should|could|can) (i|we) (send|share)|reconnect|re-?engage|catch up|nudge|upsell|invite"
    r"|(haven'?t|hasn'?t|has not|have not) heard|(email|text|send|offer|pitch) (her|him|them) our"
    r"|(our|the) (new|latest|upcoming)|sale|promo(tion)?s?|black friday|launch\w*|special offer)\b"
)
# "Text Will about the glass": a channel verb opening the question names the channel too.
CHANNEL_VERBS = r"(text|sms|call|phone|ring|e-?mail|slack|post)"
LEADING_VERB_CHANNEL = re.compile(rf"\s*{CHANNEL_VERBS} (?=\w)")
# "Can I text Tom about…": a channel verb right after "can/should I" names the channel, whoever follows.
VERB_CHANNEL = re.compile(rf"\b(?:can|could|should|shall|may|do|would) (?:i|we|you) {CHANNEL_VERBS}\b")
VERB_TO_CHANNEL: dict[str, Channel] = {
    "text": "sms",
    "sms": "sms",
    "call": "phone",
    "phone": "phone",
    "ring": "phone",
    "email": "email",
    "e-mail": "email",
    "slack": "slack",
    "post": "mail",
}
CHANNEL_CUES: list[tuple[Channel, re.Pattern[str]]] = [
    (
        "sms",
        re.compile(r"\b(text (her|him|them|message|back)|sms|by text|via text|send (a|her|him|them) text)\b"),
    ),
    (
        "phone",
        re.compile(r"\b(call (her|him|them)|phone (her|him|them)|ring (her|him|them)|by phone|phone call|a call)\b"),
    ),
    ("email", re.compile(r"\b(email (her|him|them)|by email|via email|an email|e-mail)\b")),
    ("mail", re.compile(r"\b(letter|by post|postcard|in the mail|handwritten (note|card))\b")),
    ("slack", re.compile(r"\b(on slack|via slack|slack (her|him|them)|slack connect|slack dm)\b")),
]


# Channels no customer file can allow: asked for, they are named as not allowed, never mapped to another.
FOREIGN_CHANNEL_RE = re.compile(
    r"\b(whats ?app|telegram|signal|instagram|facebook|messenger|linkedin|wechat|viber|tiktok|x dm|twitter)\b"
)


@dataclass(frozen=True)
class Request:
    intent: Intent
    channel: Channel | None  # a channel the question explicitly asks for
    foreign: str | None = None  # a channel outside DESIGN.md's list ("whatsapp")


# A problem described in the question is something they told us: answering it is a reply.
PROBLEM_RE = re.compile(
    r"\b(bitter|sour|stale|broken|damaged|late|missing|wrong|faulty|leak\w*|came out|arrived (late|damaged|broken)"
    r"|not working|stopped working|complain\w*|refund)\b"
)


def classify(
    question: str, customer: Customer | None, intent: Intent | None = None, in_thread: bool = False
) -> Request:
    """`intent` is set when the caller knows (answering a given customer message is always a reply).
    `in_thread`: the question came with a thread (the customer's message is usually in it)."""
    text = fold(question)
    verb = VERB_CHANNEL.search(text) or LEADING_VERB_CHANNEL.match(text)
    channel = VERB_TO_CHANNEL[verb.group(1)] if verb else None
    foreign = FOREIGN_CHANNEL_RE.search(text)
    if foreign:
        channel = None
    else:
        channel = channel or next((name for name, pattern in CHANNEL_CUES if pattern.search(text)), None)
    other = foreign.group(1).replace(" ", "") if foreign else None
    if intent is None:
        intent = "reply" if REPLY_CUES.search(text) else "outreach" if OUTREACH_CUES.search(text) else None
    if intent is None and (in_thread or PROBLEM_RE.search(text)):
        intent = "reply"
    return Request(intent or _default_intent(customer), channel, other)


def _default_intent(customer: Customer | None) -> Intent:
    """No cue: a customer whose latest message is theirs is waiting for a reply."""
    if customer is None:
        return "reply"
    dated = [e for e in customer.history if e.date]
    if dated and max(dated, key=lambda e: (e.date, e.line)).direction == "in":
        return "reply"
    return "outreach"
