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


def test_what_the_customer_wants_is_their_request_even_when_it_sounds_like_outreach(reader: Reader) -> None:
    """A renewal-sounding wish is still theirs to answer: "wants to pause" is a request, not a renewal email."""
    reading = reader.read(
        "ravi menon wants to pause the contract for 3 months while the office moves. ok? draft", customer()
    )
    assert reading.intent == "reply" and reading.message is not None and "pause the contract" in reading.message.text


def test_words_after_a_colon_that_speak_of_them_are_staff_words(reader: Reader) -> None:
    """'Ravi: ask him…' is a note about Ravi, not Ravi's voice (he would not call himself 'him')."""
    reading = reader.read("Ravi Menon: ask him which updates he'd like from us", customer())
    assert reading.message is None and reading.intent == "outreach" and reading.purpose == "preferences"


def test_a_request_that_reads_as_outreach_is_no_described_complaint(reader: Reader) -> None:
    question = "ravi's been with us since 2019 - would he do a short video review? draft"
    assert reader.verdict(question, customer()).outreach
    reading = reader.read(question, customer())
    assert reading.message is None and reading.intent == "outreach"


def test_a_named_perk_is_offered_however_the_request_is_worded() -> None:
    reading = Reader(None, perks=["Complimentary network health check"]).read(
        "can you draft a message offering Ravi our complimentary network health check", customer()
    )
    assert (reading.intent, reading.purpose) == ("outreach", "perk")


def test_of_several_perks_the_one_the_request_names_by_the_words_that_tell_it_apart() -> None:
    """ "Free" is in every perk's name and names none; a request names a perk by its own words."""
    reader = Reader(
        None, perks=["a free on-site hose audit of one site", "a free pressure test and report on one pump or motor"]
    )
    assert reader.named_perk("offer Ravi a free pressure test on one of his motors") == reader.named_perk(
        "could we give Ravi the free pump and motor test as a thank you?"
    )
    assert (
        reader.named_perk("offer Ravi the free pump and motor test")
        == "a free pressure test and report on one pump or motor"
    )
    assert reader.named_perk("offer Ravi something free as a thank you") is None
    assert reader.named_perk("Ravi had a pump test last year, ask him for a review") is None  # 2 of 5: not named
    reading = reader.read("Ravi's been great, can I offer him the free hose audit?", customer())
    assert reading.purpose == "perk" and reading.perk == "a free on-site hose audit of one site"


def test_a_waiting_line_needs_an_answer_when_it_asks_or_reports_a_problem(reader: Reader) -> None:
    for asks in (
        "Asked whether the gate code changes for the winter.",
        "Would like to move Thursday's session to the afternoon if possible.",
        "Is there parking near the studio?",
        "My tyre went flat two days after the repair.",
    ):
        assert reader.needs_answer(asks), asks
    # A line that only tells is known by leaning away from both asking and complaining; one on a subject
    # complaints are often about ("signed the contract", "collected the repair") errs toward an answer.
    for tells in (
        "Mentioned they are building six new winches over the winter.",
        "Booked a table for twelve on Friday.",
        "Told us they are moving office in March.",
        "Popped in to say the new brakes are brilliant in the rain, nothing needed.",
        "Thanks for sorting the VAT return so quickly.",
    ):
        assert not reader.needs_answer(tells), tells


def test_a_request_to_reach_out_is_outreach_when_the_waiting_line_asks_nothing(reader: Reader) -> None:
    c = customer(path="customers/ravi.md")
    remark = entry(12, "2026-06-20", "in", "Mentioned they are opening a second surgery next spring.")
    reading = reader.read("Is it time to get back in touch with Ravi?", c, unanswered=remark)
    assert (reading.intent, reading.purpose) == ("outreach", "check_in")
    question = entry(12, "2026-06-20", "in", "Asked whether the second surgery can join the same plan.")
    assert reader.read("Is it time to get back in touch with Ravi?", c, unanswered=question).intent == "reply"


def test_an_offer_named_in_the_request_is_outreach_even_while_a_question_waits(reader: Reader) -> None:
    c = customer(path="customers/ravi.md")
    waiting = entry(12, "2026-11-20", "in", "Asked why the November invoice is higher.")
    reading = reader.read("Ravi is a loyal client, can I give him 10% off his renewal?", c, unanswered=waiting)
    assert (reading.intent, reading.purpose) == ("outreach", "perk")


@pytest.mark.parametrize(
    "question, channel",
    [
        ("Drop Ravi a quick email about the backup window", "email"),
        ("Can you write Ravi a text saying the engineer is on the way?", "sms"),
        ("Send Ravi a handwritten letter to say thanks", "mail"),
        ("How should I answer Ravi about the VPN?", None),
    ],
)
def test_the_channel_is_the_thing_sent_whatever_the_verb(question: str, channel: str | None) -> None:
    from bot.services.channels import requested_channel

    assert requested_channel(question) == (channel, None)


def test_a_named_perk_with_a_verb_of_replying_is_a_reply() -> None:
    reader = Reader(None, perks=["Complimentary network health check"])
    reading = reader.read("How do I reply to Ravi about the complimentary network health check?", customer())
    assert reading.intent == "reply"


def test_an_indirect_question_about_what_they_want_is_not_their_wish() -> None:
    assert spoken("can you check with ravi how often he wants to hear from us", customer(), wish=True) == (False, None)
    assert spoken("ravi wants to move the backup window", customer(), wish=True)[0]


def test_a_channel_named_in_the_customers_own_words_is_not_one_staff_asked_for(reader: Reader) -> None:
    reading = reader.read(
        'Ravi wrote: "I was charged £420 when the engagement letter said £295." What do I reply?', customer()
    )
    assert reading.message is not None and "engagement letter" in reading.message.text
    assert reading.channel is None
    assert reader.read("Ravi asked about his invoice, can you draft me a letter?", customer()).channel == "mail"


def test_the_digest_does_not_call_praise_a_complaint(reader: Reader) -> None:
    """The digest's judge (services/signals.py) weighs a waiting line as the reading does: praise on a
    subject complaints are often about is no complaint; a problem told plainly is one."""
    from bot.services.signals import Judge

    assert reader.meaning is not None
    judge = Judge(reader.meaning)
    praise = entry(7, "2026-11-19", "in", "Popped in to say the new brakes are brilliant in the rain, nothing needed.")
    problem = entry(8, "2026-11-19", "in", "The flowers arrived wilted and the vase was cracked.")
    vectors = dict(zip((7, 8), reader.meaning.vectors([praise.text, problem.text]), strict=True))
    assert not judge.complaint(praise, vectors)
    assert judge.complaint(problem, vectors)
