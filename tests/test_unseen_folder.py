"""`rapport ask` on a folder unlike the sample (a bike workshop, accented names, a shared first name):
the rules must hold for names and facts the code has never seen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.core.answer import Answer, Draft
from bot.services.container import Services, build_services
from tests.conftest import make_settings, write_folder
from tests.test_cli import rapport

CUSTOMERS = {
    "zoe.md": """
---
id: cus-zoe
name: Zoë Müller
email: zoe.mueller@example.de
segment: b2c
contact: {channels: [email, sms], frequency: monthly, last_contacted: 2026-11-10}
interests: [commuting]
---
## History
- 2026-06-17 email out (Marco): Service done; replaced the rear brake pads.
- 2026-11-18 email in: The rear brake squeals since the service; asked if it is covered.
""",
    "jose.md": """
---
id: cus-jose
name: José Álvarez
preferred_name: Pepe
email: pepe@example.es
segment: b2c
contact: {channels: [email, phone], frequency: quarterly}
---
## History
- 2026-08-01 email out (Marco): Sent the rental price list.
- 2026-11-20 email in: Asked how much a week of e-bike rental costs.
""",
    "priya.md": """
---
id: cus-priya
name: Priya Raghunathan
email: priya@greenway.example
company: Greenway Couriers
role: Fleet manager
segment: b2b
contact: {channels: [email], frequency: monthly, last_contacted: 2026-10-01}
---
## History
- 2026-10-01 email out (Ines): Sent the fleet service report.
""",
    "sam.md": """
---
id: cus-sam
name: Sam Okonkwo
email: sam.o@example.com
segment: b2c
contact: {channels: [email], frequency: never}
---
## History
- 2026-11-02 email in: My tyre went flat two days after the repair.
""",
    "siobhan.md": """
---
id: cus-siobhan
name: Siobhán O'Connor-Smith
role: Facilities Manager
company: Meridian Freight
segment: b2b
contact: {channels: [email], frequency: monthly, last_contacted: 2026-11-01}
---
## History
- 2026-11-01 email out (Ines): Confirmed the room booking.
""",
    "lan.md": """
---
id: cus-lan
name: Nguyễn Thị Lan
preferred_name: Lan
company: Meridian Freight
segment: b2b
contact: {channels: [email], frequency: monthly, last_contacted: 2026-11-01}
---
## History
- 2026-11-01 email out (Ines): Sent the course list.
""",
    "frank.md": """
---
id: cus-frank
name: Frank Osei
segment: b2c
contact: {channels: [email], frequency: monthly, last_contacted: 2026-11-01}
---
## History
- 2026-11-01 email out (Marco): Booked his service.
""",
    "grace.md": """
---
id: cus-grace
name: Grace Park
email: grace@example.kr
segment: b2c
contact: {channels: [email], frequency: monthly, last_contacted: 2026-11-01}
avoid: [late fees]
---
## History
- 2026-11-01 email out (Marco): Sent the rental terms.
""",
    "henrik.md": """
---
id: cus-henrik
name: Henrik Sørensen
company: Nordlys Tech
segment: b2b
contact: {channels: [email], frequency: monthly, last_contacted: 2026-11-01}
---
## History
- 2026-11-01 email out (Ines): Talked about renewing the fleet contract.
""",
}
PLAYBOOK = {
    "rentals.md": """
---
title: Rentals
topics: [rentals]
---
City bikes rent for £18 per day and e-bikes for £35 per day. A week's hire is charged as five days.
Every rental needs a £200 refundable deposit, returned within 5 working days of the bike coming back.
Child seats are free with any city bike rental.
""",
    "fleet.md": """
---
title: Business fleet contracts
topics: [fleet, contracts]
---
Fleet service contracts cost £45 per bike per month and renew automatically unless either side gives 30 days'
notice.

## Staff only
Renewal terms are set by the account manager; do not quote new prices before the renewal conversation.
""",
    "repairs.md": """
---
title: Repairs
topics: [repairs]
---
A hydraulic brake bleed costs £35. Turnaround is 3 working days from drop-off.

## Staff only
Between us, we can knock 10% off a bleed if the customer pushes.
""",
    "service.md": """
---
title: Customer service
topics: [service]
---
We answer every customer message within 1 working day.
""",
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_folder(tmp_path_factory.mktemp("workshop") / "knowledge", customers=CUSTOMERS, playbook=PLAYBOOK)


@pytest.fixture(scope="module")
def services(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Services:
    svc = build_services(make_settings(folder, tmp_path_factory.mktemp("workshop-index")))
    svc.knowledge.sync()
    return svc


def who(answer: Answer) -> str | None:
    return answer.customer.id if answer.customer else None


def codes(answer: Answer) -> set[str]:
    return {w.code for w in answer.warnings}


# -- who is it about ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "reply to Priya Patel about her invoice",  # our Priya is a Raghunathan
        "how should I answer José Martínez?",  # our José is an Álvarez
        "reply to anna.smith@example.pl",  # an address nobody here has
        "reply to bob@example.com about his rental",
        "what should I reply to this?",  # names nobody: close to everyone a little is no one
        "can you draft a reply?",
    ],
)
def test_strangers_and_empty_questions_find_nobody(services: Services, question: str) -> None:
    answer = services.assistant.ask(question)
    assert who(answer) is None and answer.drafts == [] and codes(answer) == {"customer_not_found"}


def test_a_stranger_is_not_found_through_the_cli_either(folder: Path, tmp_path: Path) -> None:
    args = ["--knowledge", str(folder), "--index", str(tmp_path / "idx")]
    found = json.loads(rapport("ask", "reply to Priya Patel about the invoice", "--json", *args).stdout)
    assert found["customer"] is None and found["drafts"] == []
    assert [w["code"] for w in found["warnings"]] == ["customer_not_found"]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("follow up with Greenway about the renewal", "cus-priya"),  # a company by its leading word
        ("reply to priya@greenway.example", "cus-priya"),
        ("what did Henrik Sorensen ask about?", "cus-henrik"),  # ø written as o
        ("reply to Zoe Muller", "cus-zoe"),
        ("Pepe asked about rentals, what do I say?", "cus-jose"),
    ],
)
def test_customers_are_found_by_company_word_email_and_unaccented_names(
    services: Services, question: str, expected: str
) -> None:
    assert who(services.assistant.ask(question)) == expected


def test_the_customer_the_question_addresses_wins_over_one_it_mentions(services: Services) -> None:
    answer = services.assistant.ask("reply to Zoë and tell her José Álvarez had the same brake issue")
    assert who(answer) == "cus-zoe"
    assert all("José" not in d.text and "Pepe" not in d.text for d in answer.drafts)


def test_two_customers_named_with_no_addressee_is_ambiguous(services: Services) -> None:
    answer = services.assistant.ask("José Álvarez and Zoë Müller both asked about brakes")
    assert who(answer) is None and "ambiguous_customer" in codes(answer)
    assert {c.id for c in answer.candidates} == {"cus-jose", "cus-zoe"}
    unequal = services.assistant.ask("José Álvarez and Zoë both asked about brakes")  # full name beats first name
    assert who(unequal) is None and {c.id for c in unequal.candidates} == {"cus-jose", "cus-zoe"}
    assert "names several customers" in unequal.warnings[0].message


# -- consent -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "Sam Okonkwo hasn't heard from us in ages, can I email him our new rental fleet?",
        "Tell Sam Okonkwo about the Black Friday rental sale",
    ],
)
def test_a_pitch_to_a_never_contact_customer_is_outreach_and_gets_no_draft(services: Services, question: str) -> None:
    pitch = services.assistant.ask(question, intent="outreach")
    assert who(pitch) == "cus-sam" and pitch.intent == "outreach"
    assert pitch.drafts == [] and "no_contact" in codes(pitch)
    # Read as staff wrote it: Sam's flat-tyre message is unanswered, so it is answered first; no pitch.
    first = services.assistant.ask(question)
    assert first.intent == "reply" and {"no_contact", "unanswered_message"} <= codes(first)
    assert first.reading.message is not None and "flat" in first.reading.message.text
    assert all(w not in d.text.lower() for d in first.drafts for w in ("black friday", "sale", "fleet"))


def test_answering_their_own_message_is_a_reply_whatever_it_says(services: Services) -> None:
    answer = services.assistant.ask("Any news on our new tyres?", customer_id="cus-sam", intent="reply")
    assert answer.intent == "reply" and answer.drafts


# -- drafts ------------------------------------------------------------------------------


def test_a_price_question_gets_the_price_sentences(services: Services) -> None:
    answer = services.assistant.ask("Pepe wants to know how much a week of e-bike rental costs")
    full = answer.drafts[0].text
    assert "£35 per day" in full and "five days" in full
    assert "playbook/rentals.md#L5" in answer.drafts[0].sources


def test_a_private_customer_is_never_given_business_terms(services: Services) -> None:
    answer = services.assistant.ask("Zoë asked how much it costs to fit studded tyres")
    assert answer.drafts
    for draft in answer.drafts:
        assert "£45" not in draft.text and "contract" not in draft.text.lower()
        assert "I'm checking this for you and will come back to you by" in draft.text


def test_staff_guidance_in_the_playbook_stays_out_of_drafts(services: Services) -> None:
    answer = services.assistant.ask("reply to Henrik about the fleet contract renewal notice")
    assert who(answer) == "cus-henrik" and answer.drafts
    assert "30 days' notice" in answer.drafts[0].text
    assert all("do not quote" not in d.text and "account manager" not in d.text for d in answer.drafts)


def test_refining_a_holding_reply_keeps_its_promise(services: Services) -> None:
    first = services.assistant.ask("Zoë asked how much it costs to fit studded tyres")
    for style in ("shorter", "formal", "warmer"):
        refined = services.assistant.refine("cus-zoe", first.question, first.drafts[0], style, intent="reply")
        assert refined.guard.violations == [] and refined.drafts, style
        assert "will come back to you by" in refined.drafts[0].text


def test_a_reply_whose_drafts_all_break_a_rule_still_gets_an_honest_one(services: Services) -> None:
    class Hostile:
        def draft(self, plan: object, progress: object = None) -> object:
            from bot.core.answer import Usage
            from bot.core.drafting import DrafterResult

            return DrafterResult(drafts=[Draft(text="Hi Zoë, Pepe had 50% off.", channel="email")], usage=Usage())

        refine = draft

    assistant = type(services.assistant)(services.knowledge, drafter=Hostile())  # type: ignore[arg-type]
    answer = assistant.ask("Zoë asked whether the brake squeal is covered")
    assert answer.drafts and {v.code for v in answer.guard.violations} >= {"other_customer", "unsupported_claim"}
    assert all("50%" not in d.text and "Pepe" not in d.text for d in answer.drafts)


def test_names_next_to_a_stranger_and_unknown_addressees_find_nobody(services: Services) -> None:
    for question in ("What should I tell Mary Smith about her order?", "Hana emailed about her rental, what do I say?"):
        answer = services.assistant.ask(question)
        assert who(answer) is None and codes(answer) == {"customer_not_found"}, question


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("the facilities manager at Meridian Freight asked about the room", "cus-siobhan"),  # role + company
        ("Draft a reply to Siobhan O Connor about the room", "cus-siobhan"),  # apostrophe written as a space
    ],
)
def test_roles_and_apostrophe_names_find_the_customer(services: Services, question: str, expected: str) -> None:
    assert who(services.assistant.ask(question)) == expected


def test_a_channel_no_customer_can_allow_is_named_not_mapped(services: Services) -> None:
    answer = services.assistant.ask("Send Zoë a WhatsApp about her brake, she asked on email")
    assert "channel_not_allowed" in codes(answer)
    message = next(w.message for w in answer.warnings if w.code == "channel_not_allowed")
    assert "Whatsapp" in message and all(d.channel in ("email", "sms") for d in answer.drafts)


def test_internal_asides_never_reach_a_draft(services: Services) -> None:
    answer = services.assistant.ask("Zoë asked whether the brake bleed can be cheaper, what do I reply?")
    assert answer.drafts
    assert all("10%" not in d.text and "Between us" not in d.text for d in answer.drafts)


def test_the_follow_up_date_comes_from_the_playbook_when_it_states_one(services: Services) -> None:
    answer = services.assistant.ask("Zoë asked how much it costs to fit studded tyres")
    # RAPPORT_TODAY is Sunday 22 November 2026: one working day later is Monday 23 November.
    assert "will come back to you by Monday 23 November" in answer.drafts[0].text
    assert "playbook/service.md" in answer.drafts[0].sources


def test_a_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    root = tmp_path / "k"
    (root / "customers").mkdir(parents=True)
    (root / "customers" / "bom.md").write_bytes("\ufeff---\nid: cus-b\nname: Bo Mark\nsegment: b2c\n---\n".encode())
    done = rapport("check", "--knowledge", str(root))
    assert done.returncode == 0, done.stdout


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Ring Pepe and thank him for the review", "cus-jose"),  # a verb before a first name
        ("Apparently Pepe asked about child seats", "cus-jose"),
        ("Happy Birthday Zoë! draft a note", "cus-zoe"),
        ("Tell Pepe Child seats are free now", "cus-jose"),  # a word of our own playbook after the name
        ("Zoë (VIP) wants another service", "cus-zoe"),
        ("Grace Park asked for frank advice on e-bikes", "cus-grace"),  # frank is a word here, not Frank
        ("the customer whose rear brake squeals since the service", "cus-zoe"),
    ],
)
def test_names_beside_verbs_products_and_everyday_words_still_find_the_customer(
    services: Services, question: str, expected: str
) -> None:
    answer = services.assistant.ask(question)
    assert who(answer) == expected, (question, answer.warnings, answer.candidates)


def test_a_stranger_with_a_first_name_that_is_also_a_word_finds_nobody(services: Services) -> None:
    answer = services.assistant.ask("Grace Kelly asked about the grace period")
    assert who(answer) is None and codes(answer) == {"customer_not_found"}


def test_a_customer_who_says_something_is_answered_and_a_channel_verb_opening_the_question_counts(
    services: Services,
) -> None:
    said = services.assistant.ask("Zoë says the brake still squeals, what should I send?")
    assert said.intent == "reply" and said.drafts
    texted = services.assistant.ask("Text Zoë about the brake squeal she asked about")
    assert {d.channel for d in texted.drafts} == {"sms"}


@pytest.mark.parametrize(
    ("question", "context"),
    [
        ("Zoë asked on slack if the squeal is covered, what do i say", ""),
        ("Hi team, could you confirm whether the brake squeal is covered? Thanks, Zoë", ""),
        ("zoë's rear brake came out spongy again, what do i tell her", ""),
        ("what should i say", "Zoë Müller: the rear brake still squeals since the service, is it covered?"),
    ],
)
def test_a_customers_message_in_any_wording_is_answered_as_a_reply(
    services: Services, question: str, context: str
) -> None:
    answer = services.assistant.ask(question, context=context)
    assert who(answer) == "cus-zoe" and answer.intent == "reply" and answer.drafts
    assert "contact_too_soon" not in codes(answer)


def test_text_back_asks_for_sms_and_a_phone_draft_is_talking_points_not_a_letter(services: Services) -> None:
    texted = services.assistant.ask("zoë asked if the squeal is covered, can you draft a text back?")
    assert {d.channel for d in texted.drafts} == {"sms"}
    called = services.assistant.ask("Pepe asked about rentals, what do I say on a phone call?", customer_id="cus-jose")
    assert called.drafts and {d.channel for d in called.drafts} == {"phone"}
    assert all("\n" not in d.text and not d.text.endswith("wishes") for d in called.drafts)
