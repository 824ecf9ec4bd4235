"""Facts said to the customer: playbook prose turned to "you", customer facts as sentences.

Playbook pages speak of customers in the third person ("The client pays return postage");
a draft speaks to one of them ("You pay return postage"). Only patterns that are safe to turn
are turned; a sentence that cannot be is kept as the policy it is ("Our policy is that…").
"""

from __future__ import annotations

import datetime as dt
import re

from bot.core.plan import Passage, human_date

# The words playbooks use for the people they serve. A sentence about them is about "you".
GROUP = r"(?:customer|client|member|subscriber|patient|guest|student|user|buyer|account holder|rider|diner)"
AUX = (
    r"(?:can|cannot|can't|could|must|will|won't|would|should|shall|may|might|does|did|is|was|has|had|needs|gets"
    r"|are|have|need|get)"
)
# What may follow "the customer" when it is a person, not a noun modifier ("customer service team").
AFTER_PERSON = (
    r"(?=\s+(?:when|if|within|by|at|before|after|and|or|as|once|until|directly|in writing|back)\b|[.,;:!?)]|$)"
)
POSSESSIVE_RE = re.compile(rf"\b(?:the|a|each|every|any) {GROUP}(?:'s|’s)", re.I)
SUBJECT_VERB_RE = re.compile(rf"\b(?:the|a|each|every|any) {GROUP} ({AUX}\b|\w+s\b)", re.I)
OBJECT_RE = re.compile(rf"\b(?:the|a|each|every|any) {GROUP}\b{AFTER_PERSON}", re.I)
PLURAL_POSSESSIVE_RE = re.compile(rf"(?<!our )(?<!all )\b{GROUP}s['’]", re.I)
PLURAL_SUBJECT_RE = re.compile(
    rf"(^|[,;]\s+|\bthat\s+|\band\s+)(?:all )?(?:our )?{GROUP}s\b(?!['’])"
    r"(?!\s+(?:on|with|in|at|from|under|using|who|that|whose|of|outside|within|without|for)\b)",
    re.I,
)
PLURAL_OBJECT_RE = re.compile(rf"\b(?:all )?(?:our )?{GROUP}s\b(?!['’]){AFTER_PERSON}", re.I)
THEY_RE = {
    re.compile(r"\bthey\b", re.I): "you",
    re.compile(r"\btheir\b", re.I): "your",
    re.compile(r"\bthemselves\b", re.I): "yourself",
    re.compile(r"\bthem\b", re.I): "you",
    re.compile(r"\bhe or she\b", re.I): "you",
    re.compile(r"\bhis or her\b", re.I): "your",
}
COORDINATED_RE = re.compile(
    r"(\byou \w+\b[^.;:]*?\b(?:and|or) )(\w+(?:es|s))\b(?=\s+(?:a|an|the|your|to|between|it|them)\b)"
)
IRREGULAR = {"has": "have", "is": "are", "was": "were", "does": "do", "goes": "go", "needs": "need", "gets": "get"}


def base_form(verb: str) -> str:
    """'pays' -> 'pay', 'carries' -> 'carry', 'reaches' -> 'reach'; modals stay ('can')."""
    low = verb.lower()
    if low in IRREGULAR:
        return IRREGULAR[low]
    if not low.endswith("s") or low.endswith("ss") or len(low) <= 3:
        return verb
    if low.endswith("ies"):
        return verb[:-3] + "y"
    if low.endswith(("ches", "shes", "sses", "xes", "zes", "oes")):
        return verb[:-2]
    return verb[:-1]


def _unless_named(m: re.Match[str]) -> str:
    """'Reformer Unlimited members' are some of the customers, not the one we write to: left as written."""
    before = m.string[: m.start()].rstrip().split(" ")[-1:]
    return m.group(0) if before and before[0][:1].isupper() else "you"


def second_person(sentence: str) -> str:
    """'The client pays return postage' -> 'You pay return postage'; other sentences as they are."""
    out = POSSESSIVE_RE.sub("your", sentence)
    out = SUBJECT_VERB_RE.sub(lambda m: f"you {base_form(m.group(1))}", out)
    out = OBJECT_RE.sub("you", out)
    out = PLURAL_POSSESSIVE_RE.sub("your", out)
    out = PLURAL_SUBJECT_RE.sub(lambda m: f"{m.group(1)}you", out)
    out = PLURAL_OBJECT_RE.sub(_unless_named, out)
    if out != sentence:
        for pattern, replacement in THEY_RE.items():
            out = pattern.sub(replacement, out)  # the same people, later in the sentence
        # "you send a photo … and chooses": the verbs that share the subject agree with it too.
        out = COORDINATED_RE.sub(lambda m: f"{m.group(1)}{base_form(m.group(2))}", out)
    return out[0].upper() + out[1:] if out else out


BULLET_RE = re.compile(r"^(?:[-*•]|\d+[.)])\s+")


def said_to_them(sentence: str) -> str:
    """A playbook sentence as written to the customer: no list bullet, in 'you'."""
    text = BULLET_RE.sub("", sentence.strip())
    return second_person(text[0].upper() + text[1:] if text else text)


def fact_sentence(passage: Passage) -> str:
    """A customer fact ('renewal date: 2027-01-31') as said to them ('Your renewal date is 31 January 2027.')."""
    key, _, value = passage.text.partition(": ")
    key, value = key.strip(), value.strip()
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        day = None
    if day is not None:
        thing = key.removesuffix(" date") or key
        return f"Your {thing} date is {human_date(day)} {day.year}."
    if value.replace(".", "", 1).isdigit() and key.endswith("s"):
        return f"You have {value} {key}."
    return f"Your {key} is {value}."


def thing_of(key: str, value: str) -> str:
    """'plan', 'Professional' -> 'Professional plan'; 'bike', 'Brompton C Line, bought…' -> 'Brompton C Line bike'."""
    name = value.split(",")[0].strip()
    last = key.replace("_", " ").split()[-1]
    return name if last.rstrip("s") in name.lower() else f"{name} {key.replace('_', ' ')}"
