"""How a request is read: the customer's words found by structure, the purpose by meaning, unsure = reply."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.knowledge.models import Customer, HistoryEntry
from bot.services.container import Services
from bot.services.reading import Reader, pasted, quoted, spoken, unanswered_entry


def customer(**extra: object) -> Customer:
    data: dict[str, object] = {"id": "c1", "name": "Ravi Menon", "segment": "b2b", "company": "Northwind Dental"}
    return Customer.model_validate({**data, **extra})


def entry(line: int, day: str, direction: str, text: str = "x") -> HistoryEntry:
    return HistoryEntry(line=line, text=text, date=dt.date.fromisoformat(day), channel="email", direction=direction)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def reader(sample_services: Services) -> Reader:
    return Reader(sample_services.knowledge.snapshot().meaning)


@pytest.mark.parametrize(
    "question, words",
    [
        ('Ravi wrote "the VPN drops every afternoon, can you look at it?" — what do I say?', "VPN drops"),
        ("Reply to this from Ravi:\n> Hi, can we add two more users to our plan?\n> Thanks", "two more users"),
        ("«¿Podéis mandarme la factura de octubre?» is what Ravi sent", "factura"),
    ],
)
def test_quoted_words_are_the_customers(question: str, words: str) -> None:
    found = quoted(question)
    assert found is not None and words in found


def test_a_paste_under_the_ask_is_the_message() -> None:
    question = "Can you help me answer this one?\nHi team, our invoice shows 14 seats but we only have 12.\nRavi"
    found = pasted(question)
    assert found is not None and "14 seats" in found and "help me answer" not in found


def test_one_line_is_no_paste() -> None:
    assert pasted("Should I check in with Ravi this week?") is None


@pytest.mark.parametrize(
    "question, rest",
    [
        ("Ravi texted that the VPN keeps dropping", "the VPN keeps dropping"),
        ("ravi at northwind emailed to say the printer is offline", "the printer is offline"),
        ("The client rang earlier asking about the backup window", "the backup window"),
        ("Northwind Dental left a voicemail about their renewal", "their renewal"),
        ("she wants to know whether Saturday support is included", "whether Saturday support is included"),
    ],
)
def test_the_customer_before_a_speech_verb(question: str, rest: str) -> None:
    said, what = spoken(question, customer())
    assert said and what is not None and rest in what


def test_staff_speaking_is_not_the_customer() -> None:
    assert spoken("I emailed Ravi last week; should I follow up?", customer()) == (False, None)


def test_explicit_intent_wins(reader: Reader) -> None:
    c = customer()
    assert reader.read("Ravi asked about the VPN", c, intent="outreach").intent == "outreach"
    reply = reader.read("Should I check in with Ravi?", c, intent="reply")
    assert reply.intent == "reply" and reply.why == "as staff asked"


def test_the_customers_words_make_a_reply_whatever_the_wording(reader: Reader) -> None:
    c = customer()
    for question in (
        "Ravi texted that the VPN keeps dropping. What should I send back?",
        "From Ravi: can we move our backup window to 2 a.m.?",
        "Ravi has a question about his invoice",
        'Got "why is my bill higher this month?" from Ravi',
    ):
        reading = reader.read(question, c)
        assert reading.intent == "reply" and reading.sure and reading.message is not None, question


def test_the_staff_ask_after_their_words_is_cut(reader: Reader) -> None:
    reading = reader.read("Ravi asked if Saturday support is included, what should I tell him?", customer())
    assert reading.message is not None and reading.message.text == "if Saturday support is included"


def test_a_thread_is_their_message(reader: Reader) -> None:
    reading = reader.read("what do we say?", customer(), context="Customer: the VPN is down again")
    assert reading.intent == "reply" and reading.message is not None and reading.message.origin == "thread"


@pytest.mark.parametrize(
    "question, purpose",
    [
        ("Is it time to get back in touch with Ravi?", "check_in"),
        ("Anything worth sharing with Ravi this month?", "share_content"),
        ("Ravi's agreement is up in January, draft a renewal email", "renewal"),
        ("Ravi is one of our best clients, can we treat him to something?", "perk"),
        ("Would Ravi be up for a case study?", "advocacy"),
        ("Ask Ravi how often he'd like updates", "preferences"),
    ],
)
def test_outreach_purposes_by_meaning(reader: Reader, question: str, purpose: str) -> None:
    reading = reader.read(question, customer())
    assert (reading.intent, reading.purpose) == ("outreach", purpose)


def test_nothing_clear_is_an_unsure_reply(reader: Reader) -> None:
    reading = reader.read("What about Ravi?", customer())
    assert reading.intent == "reply" and not reading.sure


def test_an_unanswered_message_is_answered_first(reader: Reader) -> None:
    c = customer(path="customers/ravi.md")
    waiting = entry(12, "2026-10-20", "in", "Asked why the November invoice is higher.")
    reading = reader.read("Is it time to get back in touch with Ravi?", c, unanswered=waiting)
    assert reading.intent == "reply" and reading.message is not None
    assert reading.message.source == "customers/ravi.md#L12" and "also reads as check in" in reading.why


def test_unanswered_entry_is_the_latest_in_with_no_later_out() -> None:
    c = customer(history=[entry(1, "2026-10-01", "in"), entry(2, "2026-10-02", "out"), entry(3, "2026-10-05", "in")])
    assert unanswered_entry(c) is not None and unanswered_entry(c).line == 3  # type: ignore[union-attr]
    answered = customer(history=[entry(1, "2026-10-05", "in"), entry(2, "2026-10-05", "out")])
    assert unanswered_entry(answered) is None
    assert unanswered_entry(customer(history=[entry(1, "2026-10-05", "out")])) is None


def test_complaints_by_meaning(reader: Reader) -> None:
    assert reader.complaint("the parcel still hasn't arrived and it was meant for a birthday")
    assert reader.complaint("I was charged twice for the same order")
    assert not reader.complaint("can I pause my subscription over Christmas?")
    assert not reader.complaint("do you deliver to Ireland?")
