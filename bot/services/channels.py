"""Which channel a request asks for ("Can I text Tom…", "send her a letter"), if any.

Asked for, a channel the customer did not allow is named as not allowed; one outside DESIGN.md's
list (WhatsApp) is named as such, never mapped to another.
"""

from __future__ import annotations

import re

from bot.knowledge.models import Channel
from bot.services.text import fold

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
        re.compile(
            r"\b(call (her|him|them)|phone (her|him|them)|ring (her|him|them)|by phone|phone call|a call"
            r"|give \w+(?: \w+)? a (?:ring|call|bell|buzz))\b"
        ),
    ),
    ("email", re.compile(r"\b(email (her|him|them)|by email|via email|an email|e-mail)\b")),
    ("mail", re.compile(r"\b(letter|by post|postcard|in the mail|handwritten (note|card))\b")),
    ("slack", re.compile(r"\b(on slack|via slack|slack (her|him|them)|slack connect|slack dm)\b")),
]


# A channel as the thing sent, whatever the verb: "drop Jamal a quick email", "write Olly a text".
CHANNEL_NOUN_RE = re.compile(r"\b(?:a|an)\s+(?:[a-z'-]+\s+)?(e-?mail|text|sms|call|ring|letter|postcard)\b")
NOUN_TO_CHANNEL: dict[str, Channel] = {**VERB_TO_CHANNEL, "letter": "mail", "postcard": "mail"}

# Channels no customer file can allow: asked for, they are named as not allowed, never mapped to another.
FOREIGN_CHANNEL_RE = re.compile(
    r"\b(whats ?app|telegram|signal|instagram|facebook|messenger|linkedin|wechat|viber|tiktok|x dm|twitter)\b"
)


def requested_channel(question: str) -> tuple[Channel | None, str | None]:
    """(a channel the request explicitly asks for, a channel outside the list it names)."""
    text = fold(question)
    foreign = FOREIGN_CHANNEL_RE.search(text)
    if foreign:
        return None, foreign.group(1).replace(" ", "")
    verb = VERB_CHANNEL.search(text) or LEADING_VERB_CHANNEL.match(text)
    if verb:
        return VERB_TO_CHANNEL[verb.group(1)], None
    cued = next((name for name, pattern in CHANNEL_CUES if pattern.search(text)), None)
    if cued is None and (noun := CHANNEL_NOUN_RE.search(text)):
        cued = NOUN_TO_CHANNEL[noun.group(1)]
    return cued, None
