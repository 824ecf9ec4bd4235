"""Shared set-up for the per-rule guard tests: one customer, English playbook facts, drafts in four languages.

Each rule's test module lists hostile sentences (the rule must remove them and
report its code) and benign ones (they must pass untouched), in English,
German, French and Spanish. A sentence is placed in a draft between the
language's greeting and an honest sentence, so a removal repairs the draft.
"""

from __future__ import annotations

from bot.core.answer import Draft, Violation
from bot.core.plan import Backing
from bot.guard import GuardContext, check, customer_backing
from bot.knowledge.models import Contact, Customer, HistoryEntry, Section

AVA = Customer(
    id="cus-7001",
    name="Avelina Stroud",
    preferred_name="Ava",
    email="ava@example.net",
    segment="b2c",
    contact=Contact(channels=["email"], frequency="monthly"),
    avoid=["discount codes"],
    path="customers/ava.md",
    history=[
        HistoryEntry(line=12, text="Asked when her grinder repair would be done.", direction="in", channel="email"),
        HistoryEntry(line=13, text="Told her the repair takes 5 working days.", direction="out", channel="email"),
    ],
    private=[Section(line=20, text="Separated from Jonas Weber in March; never mention him or the custody case.")],
)
OTHERS = [
    Customer(
        id="cus-7002",
        name="Bartholomew Quince",
        email="bart.quince@example.org",
        phone="+44 7700 900555",
        company="Quince Provisions",
        segment="b2b",
    ),
    Customer(id="cus-7003", name="Zoë Müller", segment="b2c"),
]
PLAYBOOK = (
    "Grinders carry a 2-year warranty covering parts and labour.",
    "UK standard delivery takes 2–4 working days and costs £4.95.",
    "Customers can return unworn items within 30 days for a full refund.",
    "Descaler costs £8 a bottle.",
)
PROMISE = "I'm checking this for you and will come back to you by Tuesday 24 November."
LIBRARY = ("https://example.com/guides/brew",)

GREETING = {"en": "Hi Ava,", "de": "Hallo Ava,", "fr": "Bonjour Ava,", "es": "Hola Ava,"}
HONEST = {
    "en": "The repair takes 5 working days.",
    "de": "Die Reparatur dauert 5 Werktage.",
    "fr": "La réparation prend 5 jours ouvrés.",
    "es": "La reparación tarda 5 días hábiles.",
}
SIGN_OFF = {"en": "Warm wishes", "de": "Viele Grüße", "fr": "Bien cordialement", "es": "Un saludo"}


def context(customer: Customer = AVA, backing: Backing | None = None) -> GuardContext:
    backing = backing or customer_backing(customer, binding=PLAYBOOK, promises=[PROMISE], links=LIBRARY)
    return GuardContext(customer=customer, others=OTHERS, backing=backing)


def letter(lang: str, sentence: str, greeting: str | None = None) -> str:
    return f"{greeting or GREETING[lang]}\n\n{sentence} {HONEST[lang]}\n\n{SIGN_OFF[lang]}"


def run(lang: str, sentence: str, ctx: GuardContext | None = None) -> tuple[Draft | None, list[Violation]]:
    return check(Draft(text=letter(lang, sentence), channel="email"), ctx or context())


def assert_caught(code: str, lang: str, sentence: str, ctx: GuardContext | None = None) -> None:
    fixed, violations = run(lang, sentence, ctx)
    assert code in {v.code for v in violations}, (sentence, violations)
    assert fixed is not None, "the honest sentence should survive"
    assert sentence not in fixed.text and HONEST[lang] in fixed.text


def assert_passes(lang: str, sentence: str, ctx: GuardContext | None = None) -> None:
    text = letter(lang, sentence)
    fixed, violations = check(Draft(text=text, channel="email"), ctx or context())
    assert violations == [], (sentence, violations)
    assert fixed is not None and fixed.text == text
