"""The honesty guard: every draft, offline or from a model, is checked here before anyone sees it.

A draft is split into sentences. A sentence that breaks a rule is removed (or,
for a title in the greeting, rewritten); a draft left with nothing to say is
dropped. Every finding is reported with a DESIGN.md guard code, so staff see
what was changed and why. The checks are deliberately lexical and strict: a
false alarm costs a sentence, a miss costs the customer's trust.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from bot.core.answer import Draft, GuardCode, GuardReport, Violation
from bot.knowledge.models import Customer
from bot.services.text import (
    COMMON_WORDS,
    EMAIL_RE,
    INTERNAL_ASIDES,
    SENTENCE_RE,
    capitalised_words,
    fold,
    key_stems,
    stem,
    stems,
    words,
)

GREETING_RE = re.compile(
    r"^\s*((?:hi|hello|hey|dear|good (?:morning|afternoon|evening))\b[^,\n.!?]{0,60}[,!]?)\s*", re.I
)
SALUTATION_RE = re.compile(r"^\s*(?:hi|hello|hey|dear|good (?:morning|afternoon|evening))\b", re.I)
SIGN_OFF_RE = re.compile(
    r"^\s*(best( wishes| regards)?|kind regards|regards|warm(est)? (wishes|regards)|thanks|thank you|cheers"
    r"|many thanks|all the best|speak soon|talk soon)[,!.]?\s*$",
    re.I,
)

SIGNATURE_RE = re.compile(r"^\s*[A-Z][\w'’.-]*(?:[ ,&-]+[A-Z][\w'’.-]*){0,5}\s*$")

# -- claims -------------------------------------------------------------------------

MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
UNITS = {
    "day": "day",
    "week": "week",
    "month": "month",
    "year": "year",
    "yr": "year",
    "hour": "hour",
    "hr": "hour",
    "minute": "minute",
    "min": "minute",
    "kg": "kg",
    "kilo": "kg",
    "g": "g",
    "gram": "g",
    "bag": "bag",
    "item": "item",
    "order": "order",
}
MONEY_RE = re.compile(
    r"(?:([£$€])\s?(\d[\d,]*(?:\.\d+)?)(k)?"
    r"|(\d[\d,]*(?:\.\d+)?)\s?(pounds?|quid|gbp|euros?|eur|dollars?|usd|bucks|p\b))"
)
CURRENCY = {
    **dict.fromkeys(["£", "pound", "pounds", "quid", "gbp", "p"], "gbp"),
    **dict.fromkeys(["€", "euro", "euros", "eur"], "eur"),
    **dict.fromkeys(["$", "dollar", "dollars", "usd", "bucks"], "usd"),
}
UNITS_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven"]
UNITS_WORDS += ["twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS_WORDS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
NUMBER_WORDS = {w: i for i, w in enumerate(UNITS_WORDS)} | {w: 10 * (i + 2) for i, w in enumerate(TENS_WORDS)}
NUMBER_WORD_RE = re.compile(
    r"\b(?:(twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[\s-](one|two|three|four|five|six|seven|eight|nine)"
    rf"|({'|'.join(sorted(NUMBER_WORDS, key=len, reverse=True))})|a hundred|one hundred)\b"
    r"(?=\s?(?:%|per ?cent|pounds?|quid|euros?|dollars?|bucks"
    r"|(?:working |business )?(?:days?|weeks?|months?|years?|hours?)))"
)
INVISIBLE_RE = re.compile("[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]")
# Letters from other scripts that look Latin ("Мrs" with a Cyrillic М): read as the letter they mimic.
LOOKALIKES = str.maketrans("АВЕКМНОРСТХаеорсухіјѕԁӏΑΒΕΖΗΙΚΜΝΟΡΤΥΧαοριν", "ABEKMHOPCTXaeopcyxijsdlABEZHIKMNOPTYXaopiv")


def clean(text: str) -> str:
    """Invisible characters removed and look-alike letters made Latin, so no check can be sidestepped."""
    return INVISIBLE_RE.sub("", text).translate(LOOKALIKES)


def _numbers_as_digits(text: str) -> str:
    def digits(m: re.Match[str]) -> str:
        if m.group(1):
            return str(NUMBER_WORDS[m.group(1)] + NUMBER_WORDS[m.group(2)])
        if m.group(3):
            return str(NUMBER_WORDS[m.group(3)])
        return "100"

    return NUMBER_WORD_RE.sub(digits, text)


PERCENT_RE = re.compile(r"(\d+(?:\.\d+)?)\s?(?:%|per ?cent)")
QTY_RE = re.compile(
    r"(\d+(?:\.\d+)?)(?:\s?(?:-|–|to|or)\s?(\d+(?:\.\d+)?))?[\s-]?(?:working |business |calendar |full )?"
    r"(days?|weeks?|months?|years?|yrs?|hours?|hrs?|minutes?|mins?|kgs?|kilos?|grams?|g|bags?|items?|orders?)\b"
)
ISO_DATE_RE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
DAY_MONTH_RE = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({MONTH_ALT})\b")
MONTH_DAY_RE = re.compile(rf"\b({MONTH_ALT})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b")
SLASH_DATE_RE = re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/\d{2,4})?\b")
WEEKDAY_RE = re.compile(rf"\b({'|'.join(WEEKDAYS)})\b")
RELATIVE_RE = re.compile(
    r"\b(tomorrow|tonight|next week|this week|end of (?:the |this )?(?:day|week|month)|within the hour)\b"
)
OFFER_RE = re.compile(
    r"\b(discount\w*|voucher\w*|coupon\w*|promo(?:tion(?:al)?)?(?: code)?|code [a-z]*\d\w*|complimentary"
    r"|on the house|on us"
    r"|refund\w*|reship\w*|replacement|compensat\w*|credit(?:ed)?|cash ?back|money back|guarantee\w*|warrant\w*"
    r"|promise\w*|price match\w*|upgrade\w*|gift\w*|bonus|waive\w*|sale\b|bogo|buy one get one|no charge"
    r"|half[ -]price|half off|price freeze|at cost|lifetime)"
)
FREE_RE = re.compile(r"(?<!feel )\bfree\b(?! to\b)(?! of charge to ask)")


def _num(text: str) -> str:
    value = float(text.replace(",", ""))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def claims(text: str) -> dict[str, str]:
    """Checkable claims in the text: an atom (how it is compared) -> the words as written."""
    t = _numbers_as_digits(fold(clean(text)))
    found: dict[str, str] = {}
    for m in MONEY_RE.finditer(t):
        symbol, amount, thousands, amount2, word = m.groups()
        value = float((amount or amount2).replace(",", "")) * (1000 if thousands else 1)
        if word == "p":
            value /= 100  # pence
        found[f"money:{CURRENCY[symbol or word]}:{_num(str(value))}"] = m.group(0)
    for m in PERCENT_RE.finditer(t):
        found[f"pct:{_num(m.group(1))}"] = m.group(0)
    for m in QTY_RE.finditer(t):
        unit_word = m.group(3).rstrip("s") if m.group(3) not in ("g",) else "g"
        unit = UNITS.get(unit_word, unit_word)
        for n in filter(None, (m.group(1), m.group(2))):
            found[f"qty:{_num(n)}:{unit}"] = m.group(0)
    for m in ISO_DATE_RE.finditer(t):
        found[f"date:{int(m.group(2))}-{int(m.group(3))}"] = m.group(0)
    for m in DAY_MONTH_RE.finditer(t):
        found[f"date:{MONTHS[m.group(2)]}-{int(m.group(1))}"] = m.group(0)
    for m in MONTH_DAY_RE.finditer(t):
        if m.group(1) != "may" or re.search(r"\d", m.group(2)):
            found[f"date:{MONTHS[m.group(1)]}-{int(m.group(2))}"] = m.group(0)
    for m in SLASH_DATE_RE.finditer(t):
        found[f"date:{int(m.group(2))}-{int(m.group(1))}"] = m.group(0)
    for m in WEEKDAY_RE.finditer(t):
        found[f"weekday:{m.group(1)}"] = m.group(0)
    for m in RELATIVE_RE.finditer(t):
        found[f"when:{m.group(1)}"] = m.group(0)
    for m in OFFER_RE.finditer(t):
        found[f"offer:{stem(m.group(1).split()[0])}"] = m.group(0)
    for m in FREE_RE.finditer(t):
        found["offer:free"] = m.group(0)
    return found


@lru_cache(maxsize=16384)
def claim_atoms(text: str) -> frozenset[str]:
    """The claims of a fact (playbook passage, history entry), cached: the same facts back every answer."""
    return frozenset(claims(text))


# Playbook sentences that instruct staff state nothing a customer may be told: "Staff must not promise
# a discount" backs no discount.
GUIDANCE_RE = re.compile(
    r"\b(?:staff |we |you |agents? |colleagues? )?"
    r"(?:must not|mustn't|should not|shouldn't|do not|don't|never|cannot|can't)"
    r" (?:promise|offer|quote|mention|give|agree|discuss|say|commit|guarantee)\b"
    r"|^\s*(?:never|do not|don't|always|make sure|remember|escalate|check with)\b|" + INTERNAL_ASIDES,
    re.I,
)
PROMISE_RE = re.compile(r"\b(?:come|get) back to you\b", re.I)


@lru_cache(maxsize=16384)
def fact_claims(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """What a fact lets a draft claim: (the claims of its sentences that are not guidance to staff,
    the claims of its follow-up promises, which back only a follow-up)."""
    sentences = [s for s in SENTENCE_RE.split(text) if not GUIDANCE_RE.search(s)]
    promised = [s for s in sentences if PROMISE_RE.search(s)]
    stated = [s for s in sentences if s not in promised]
    return frozenset().union(*map(claim_atoms, stated)), frozenset().union(*map(claim_atoms, promised))


URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]|\"']+", re.I)


def url_key(url: str) -> str:
    """A URL as compared: without a trailing full stop or slash, scheme and host lower-cased."""
    url = url.rstrip(".,;:!?)*_>").rstrip("/")
    _scheme, sep, rest = url.partition("://")
    if not sep:
        rest = url
    host, slash, path = rest.partition("/")
    return f"{host.lower().removeprefix('www.')}{slash}{path}"


# -- channels proposed in the text --------------------------------------------------

CHANNEL_MENTIONS: list[tuple[str, re.Pattern[str]]] = [
    (
        "phone",
        re.compile(
            r"\b((give|gave) (you|me|us) a (quick )?(call|ring|buzz)|(call|ring|phone) (you|me|us)\b|on the phone"
            r"|by phone|phone call|a quick call|hop on a call|over the phone|call back|feel free to (phone|call|ring)"
            r"|(phone|call|ring) (us |me )?(on|at) \+?\d|video call|zoom|teams call|google meet|facetime)"
        ),
    ),
    ("sms", re.compile(r"\b(text (you|me|us)|send (you )?a text|by text|via text|text message|sms)\b")),
    (
        "email",
        re.compile(r"\b(e-?mail (you|me|us)|send (you )?an e-?mail|by e-?mail|via e-?mail|drop (me|us) an e-?mail)\b"),
    ),
    (
        "mail",
        re.compile(
            r"\b(by post|in the post|send you a (letter|card|postcard)|post (it|them) to you|letterbox"
            r"|drop you a line by post)\b"
        ),
    ),
    ("slack", re.compile(r"\b(on slack|via slack|slack (you|me|us)|slack dm)\b")),
    ("whatsapp", re.compile(r"\b(whats ?app|telegram|signal|instagram|facebook messenger|(dm|message) (you|me) on)\b")),
]

# -- gender -------------------------------------------------------------------------

TITLE_RE = re.compile(r"\b(Mr|Mrs|Ms|Miss|Mister|Sir|Madam|Ma'am|Mx|Lady|Lord)\b\.?(\s+[A-Z][\w'’-]+)?", re.I)
PRONOUN_SETS = {
    "she": {"she", "her", "hers", "herself"},
    "he": {"he", "him", "his", "himself"},
}
GENDERED_WORDS = {
    "lady",
    "ladies",
    "gentleman",
    "gentlemen",
    "gents",
    "guys",
    "lads",
    "girl",
    "girls",
    "boy",
    "boys",
    "bro",
    "sis",
    "dude",
    "fella",
    "mate",
    "madam",
    "sir",
}


SELLING_STEMS = frozenset(
    {"discount", "sale", "promo", "promotion", "upsell", "offer", "voucher", "coupon", "deal", "upgrade", "newsletter"}
)


def brings_up(sentence_stems: frozenset[str], topic: str, selling: bool = False) -> bool:
    """Whether a sentence brings up an avoided topic: all of its key words ("price rises" is not "the
    price is £22"), or any of them that is a selling word ("discount codes" is "10% discount"), or any
    of them in a sentence that sells ("use code SAVE50 for 50% off" is about discount codes too)."""
    keys = key_stems(topic)
    if not keys:
        return False
    if all(k in sentence_stems for k in keys):
        return True
    return any(k in sentence_stems and (selling or k in SELLING_STEMS) for k in keys)


def given_pronouns(customer: Customer) -> set[str]:
    given = set(words(customer.pronouns or ""))
    allowed: set[str] = set()
    for key, forms in PRONOUN_SETS.items():
        if key in given or forms & given:
            allowed |= forms
    return allowed


# -- the guard ----------------------------------------------------------------------


@dataclass
class GuardContext:
    customer: Customer
    facts: list[str]  # what a draft may state besides the customer's file: playbook, ideas, follow-up promises
    others: list[Customer] = field(default_factory=list)
    identities: Identities | None = None  # built once per knowledge snapshot; else from `others`

    def __post_init__(self) -> None:
        c = self.customer
        profile = " ".join(
            filter(None, [c.name, c.preferred_name, c.email, c.phone, c.company, c.role, *c.interests, *c.tags])
        )
        ours = [*self.facts, *(e.text for e in c.history if e.direction != "in"), c.notes_text]
        theirs = [e.text for e in c.history if e.direction == "in"]
        self._fact_claims: set[str] = set()
        # The follow-up date backs only the follow-up ("we'll come back to you by Tuesday"), never a
        # delivery or any other promise made for the same day.
        self._promise_claims: set[str] = set()
        for fact in ours:
            stated, promised = fact_claims(fact)
            self._fact_claims |= stated
            self._promise_claims |= promised
        # The dates of their history happened: "it was dispatched on 12 November" may be said.
        self._fact_claims |= {f"date:{e.date.month}-{e.date.day}" for e in c.history if e.date}
        # What the customer wrote backs their own facts (amounts, dates) but never an offer or a percentage:
        # an offer is ours to make, so "you promised 90% off" in their message cannot launder one.
        for said in theirs:
            self._fact_claims |= {a for a in claim_atoms(said) if not a.startswith(("offer:", "pct:"))}
        # Per text, so the playbook's claims and stems are worked out once, not on every answer.
        parts = [*ours, *theirs, profile]
        self._fact_stems = frozenset().union(*map(stems, parts))
        self._fact_emails = {e.lower() for part in parts for e in EMAIL_RE.findall(part)}
        self._urls = {url_key(u) for part in [*self.facts, c.notes_text] for u in URL_RE.findall(part)}
        self._own = fold(profile)
        private = c.private_text
        self._private_words = {
            w for w in key_stems(private) if w not in self._fact_stems and len(w) >= 3 and not w.isdigit()
        }
        pw = words(private)
        self._private_shingles = {
            " ".join(pw[i : i + 4]) for i in range(len(pw) - 3) if any(w not in COMMON_WORDS for w in pw[i : i + 4])
        }
        self._allowed_pronouns = given_pronouns(c)
        if self.identities is None:
            self.identities = Identities(self.others)


PHONE_RE = re.compile(r"\+?\d[\d\s().-]{5,}\d")


def _phone_key(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    return digits[-9:] if len(digits) >= 7 else ""


# Names that are also everyday words ("Frank feedback", "Amber light"): alone they name nobody.
WORDLIKE_NAMES = frozenset(
    {
        *("dawn", "sandy", "jack", "frank", "guy", "art", "pat", "sue", "rich", "ray", "gene", "chase", "hunter"),
        *("daisy", "ivy", "holly", "amber", "ruby", "pearl", "crystal", "hazel", "iris", "lily", "violet", "sky"),
        *("river", "brook", "heather", "rose", "robin", "autumn", "summer", "sunny", "misty", "bonnie", "ace"),
        *("hope", "will", "may", "june", "april", "august", "grace", "joy", "faith", "mark", "bill", "rob"),
        *("eve", "miles", "dean", "penny", "grant", "major", "price", "carol", "noel", "don", "lance", "dale"),
        *("glen", "cliff", "wade", "reed", "rowan", "sterling", "drew", "gray", "grey", "ivory", "star"),
    }
)


class Identities:
    """Everything that would name a customer (full name, preferred name + surname, company, email,
    phone), indexed once per knowledge snapshot so a draft is checked against 10,000 customers by
    dictionary lookups of its own words, not by 10,000 patterns."""

    def __init__(self, customers: Iterable[Customer]) -> None:
        self.phrases: dict[str, list[tuple[str, str]]] = {}
        self.emails: dict[str, list[tuple[str, str]]] = {}
        self.phones: dict[str, list[tuple[str, str]]] = {}
        self.one_word: dict[str, list[tuple[str, str]]] = {}  # first names, preferred names, company leads
        self.longest = 1
        for c in customers:
            for given in {c.name.split()[0], c.display_name}:
                key = " ".join(words(given))
                if key and " " not in key and key not in COMMON_WORDS and key not in WORDLIKE_NAMES and len(key) > 2:
                    self.one_word.setdefault(key, []).append((c.id, given))
            # "Grindhouse had the same problem": a company's distinctive leading word names it too.
            lead = words(c.company or "")[:1]
            if lead and len(lead[0]) >= 5 and lead[0] not in COMMON_WORDS and lead[0] not in WORDLIKE_NAMES:
                self.one_word.setdefault(lead[0], []).append((c.id, c.company or lead[0]))
            names = {c.name}
            if len(c.name.split()) > 1:
                names.add(f"{c.display_name} {c.name.split()[-1]}")
            for label in [*names, *([c.company] if c.company else [])]:
                key = " ".join(words(label))
                if key:
                    self.phrases.setdefault(key, []).append((c.id, label))
                    self.longest = max(self.longest, len(key.split()))
            if c.email:
                self.emails.setdefault(c.email.lower(), []).append((c.id, c.email))
            if c.phone and (key := _phone_key(c.phone)):
                self.phones.setdefault(key, []).append((c.id, c.phone))

    def named(self, text: str, customer: Customer, own: str, known: frozenset[str] = frozenset()) -> list[str]:
        """Labels of other customers that `text` names (this customer's own details, or a company
        they share, do not count). A first name alone counts when written with a capital and not
        found in this customer's own facts (their history may name a colleague who shares it)."""
        found: list[tuple[str, str]] = []
        own_words = set(words(own))
        for token in capitalised_words(text):
            if token in self.one_word and token not in own_words and stem(token) not in known:
                found += self.one_word[token]
        tokens = words(text)
        for n in range(1, self.longest + 1):
            for i in range(len(tokens) - n + 1):
                found += self.phrases.get(" ".join(tokens[i : i + n]), [])
        for email in EMAIL_RE.findall(text):
            found += self.emails.get(email.lower(), [])
        for phone in PHONE_RE.findall(text):
            found += self.phones.get(_phone_key(phone), [])
        own_text = f" {' '.join(words(own))} "
        return list(
            dict.fromkeys(
                label for cid, label in found if cid != customer.id and f" {' '.join(words(label))} " not in own_text
            )
        )


@dataclass
class _Sentence:
    text: str
    kind: str = "body"  # greeting | body | sign_off
    drop: bool = False


def _split(text: str) -> list[list[_Sentence]]:
    lines: list[list[_Sentence]] = []
    greeted = signed = False
    for line in text.splitlines():
        parts: list[_Sentence] = []
        rest = line
        if signed and SIGNATURE_RE.match(line):
            lines.append([_Sentence(line.strip(), "sign_off")])  # "Sam" or "Sam, Northwind Coffee" after it
            continue
        if not greeted and line.strip():
            greeted = True
            m = GREETING_RE.match(line)
            if m and (m.group(1).rstrip().endswith((",", "!")) or not line[m.end() :].strip()):
                parts.append(_Sentence(m.group(1).strip(), "greeting"))
                rest = line[m.end() :]
        if SIGN_OFF_RE.match(rest):
            parts.append(_Sentence(rest.strip(), "sign_off"))
            signed = True
        else:
            parts += [_Sentence(s) for s in SENTENCE_RE.split(rest.strip()) if s.strip()]
        lines.append(parts)
    return lines


def body_sentences(text: str) -> list[str]:
    """The sentences of a draft between its greeting and its sign-off."""
    return [s.text for parts in _split(text) for s in parts if s.kind == "body"]


def _join(lines: list[list[_Sentence]]) -> str:
    out: list[str] = []
    for parts in lines:
        kept = [p.text for p in parts if not p.drop]
        if parts and not kept:
            continue  # the whole line went: do not leave a blank where it was
        out.append(" ".join(kept))
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _clip(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


class _Check:
    def __init__(self, ctx: GuardContext) -> None:
        self.ctx = ctx
        self.violations: list[Violation] = []

    def flag(self, code: GuardCode, detail: str) -> None:
        self.violations.append(Violation(code=code, detail=detail))

    def greeting(self, s: _Sentence) -> None:
        c = self.ctx.customer
        if TITLE_RE.search(s.text) or set(words(s.text)) & GENDERED_WORDS:
            self.flag(
                "gendered_address", f"'{s.text.strip()}' uses a title or gendered form; rewritten with their name"
            )
            s.text = f"Hi {c.display_name},"
            return
        # "Hi Jane and welcome to 50% off!": what follows the salutation is checked like any sentence.
        extra = SALUTATION_RE.sub("", s.text)
        reasons = self.reasons(extra) if set(words(extra)) - set(words(self.ctx._own)) else []
        for code, why in reasons:
            self.flag(code, f"{why}; greeting rewritten as 'Hi {c.display_name},'")
        if reasons:
            s.text = f"Hi {c.display_name},"

    def body(self, s: _Sentence) -> None:
        reasons = self.reasons(s.text)
        if reasons:
            s.drop = True
            for code, why in reasons:
                # A private note is never echoed, not even in the report that the thread sees.
                removed = "the sentence" if code == "private_leak" else f'"{_clip(s.text)}"'
                self.flag(code, f"{why}; removed {removed}")

    def reasons(self, text: str) -> list[tuple[GuardCode, str]]:
        folded = fold(text)
        reasons: list[tuple[GuardCode, str]] = []

        promised = PROMISE_RE.search(text) is not None
        said = claims(text)
        unsupported = [
            w
            for atom, w in said.items()
            if atom not in self.ctx._fact_claims and not (promised and atom in self.ctx._promise_claims)
        ]
        if unsupported:
            listed = ", ".join(f"'{w}'" for w in dict.fromkeys(unsupported))
            reasons.append(("unsupported_claim", f"{listed} is not backed by the playbook or their history"))
        for url in URL_RE.findall(text):
            if url_key(url) not in self.ctx._urls:
                reasons.append(
                    ("unsupported_claim", f"links to '{_clip(url, 60)}', which is not in the content library")
                )

        sentence_stems = stems(text)
        selling = any(atom.startswith(("offer:", "pct:")) for atom in said)
        for topic in self.ctx.customer.avoid:
            if brings_up(sentence_stems, topic, selling):
                reasons.append(("avoided_topic", f"mentions '{topic}', which is on their avoid list"))

        hits = sorted(w for w in self.ctx._private_words if w in sentence_stems)
        sw = words(text)
        shingles = {" ".join(sw[i : i + 4]) for i in range(len(sw) - 3)} & self.ctx._private_shingles
        if hits or shingles:
            reasons.append(("private_leak", "repeats something from their private notes"))

        assert self.ctx.identities is not None
        named = self.ctx.identities.named(text, self.ctx.customer, self.ctx._own, self.ctx._fact_stems)
        if named:
            reasons.append(("other_customer", f"names another customer ('{named[0]}')"))
        named_other = bool(named)
        for email in EMAIL_RE.findall(text):
            e = email.lower()
            if not named_other and e != (self.ctx.customer.email or "").lower() and e not in self.ctx._fact_emails:
                reasons.append(("other_customer", f"gives an email address that is not theirs ('{email}')"))

        allowed = set(self.ctx.customer.contact.channels)
        for name, pattern in CHANNEL_MENTIONS:
            if name not in allowed and pattern.search(folded):
                reasons.append(("channel_not_allowed", f"proposes {name}, which they have not allowed"))

        if title := TITLE_RE.search(text):
            reasons.append(("gendered_address", f"uses a title ('{title.group(0)}')"))
        else:
            gendered = set(sw) & GENDERED_WORDS
            pronouns = {w for forms in PRONOUN_SETS.values() for w in forms} & set(sw)
            wrong = gendered | (pronouns - self.ctx._allowed_pronouns)
            if wrong:
                reasons.append(
                    ("gendered_address", f"uses gendered words they did not give ({', '.join(sorted(wrong))})")
                )
        return reasons


def check(draft: Draft, ctx: GuardContext) -> tuple[Draft | None, list[Violation]]:
    """Check one draft; return it repaired (or None when nothing honest is left) and what was found."""
    c = ctx.customer
    run = _Check(ctx)
    channel = draft.channel
    if channel not in c.contact.channels:
        allowed = c.contact.channels
        run.flag(
            "channel_not_allowed",
            f"drafted for {channel}, which {c.display_name} has not allowed"
            + (f"; moved to {allowed[0]}" if allowed else "; no channel is allowed, draft dropped"),
        )
        if not allowed:
            return None, run.violations
        channel = allowed[0]
    draft = draft.model_copy(update={"text": clean(draft.text)})
    lines = _split(draft.text)
    for parts in lines:
        for s in parts:
            if s.kind == "greeting":
                run.greeting(s)
            elif s.kind == "body":
                run.body(s)
    body_left = any(s.kind == "body" and not s.drop for parts in lines for s in parts)
    if not body_left:
        return None, run.violations
    text = _join(lines) if run.violations else draft.text
    return draft.model_copy(update={"text": text, "channel": channel}), run.violations


def guard_drafts(drafts: Iterable[Draft], ctx: GuardContext) -> tuple[list[Draft], GuardReport]:
    report = GuardReport()
    kept: list[Draft] = []
    for draft in drafts:
        report.checked += 1
        fixed, violations = check(draft, ctx)
        report.violations += violations
        if fixed is None:
            report.dropped += 1
        elif all(fixed.text != k.text for k in kept):
            kept.append(fixed)
    return kept, report
