"""Who a request is about, by what a customer's file says besides their name (a marina: boats, clubs).

Rules, each on a folder written here (a trade and names the scenario folders do not have):
- a proper noun at the head of a `facts` value (a boat's name) names its customer, over a role that
  several customers share; two customers whose facts name the same word stay ambiguous;
- a run of words of one customer's company name that no other company has, with a word that is theirs
  alone, names them ("the rowing club" for Lower Estuary Rowing Club);
- a question about the business's offer names nobody, though a customer's file holds the same product.
The held-out requests that revealed these run at the end, through `rapport ask --json`, on their date.
"""

from __future__ import annotations

import json

import pytest

from bot.core.answer import Answer
from bot.services.container import Services, build_services
from tests.conftest import make_settings, write_folder
from tests.scenarios import Folder, load_folders
from tests.test_cli import rapport

CONTACT = "contact: {channels: [email, phone], frequency: monthly, last_contacted: 2026-11-01}"
CUSTOMERS = {
    "oskar.md": f"""
---
id: m-01
name: Oskar Lind
segment: b2c
{CONTACT}
tags: [annual-berth]
interests: [coastal cruising]
facts:
  plan: Annual berth
  boat: Sea Wren, 28 ft Westerly sloop, blue hull
---
## History
- 2026-03-02 email in: Asked about the Annual berth and signed up.
- 2026-03-02 email out (Wyn): Set up the Annual berth; first payment taken.
- 2026-09-14 email in: Asked when Sea Wren can be lifted out for antifouling.
""",
    "farah.md": f"""
---
id: m-02
name: Farah Quinn
company: Quinn Sailing School
role: Owner
segment: b2b
{CONTACT}
---
## History
- 2026-10-03 email in: Asked for a quote to lift out two dinghies in November.
""",
    "pete.md": f"""
---
id: m-03
name: Pete Marsh
company: Marsh Boat Hire
role: Owner
segment: b2b
{CONTACT}
---
## History
- 2026-10-20 phone in: Asked whether the slipway is open on Sundays in winter.
- 2026-10-28 email in: Complained that their September invoice charged the slipway twice.
""",
    "gwen.md": f"""
---
id: m-04
name: Gwen Tally
company: Lower Estuary Rowing Club
role: Treasurer
segment: b2b
{CONTACT}
tags: [club]
---
## History
- 2026-11-20 email in: Complained that the October invoice charged the winter storage of four boats twice.
""",
    "rhys.md": f"""
---
id: m-05
name: Rhys Vaughan
company: Coastline Charters
role: Founder
segment: b2b
{CONTACT}
---
## History
- 2026-09-22 email in: Asked whether we could check a charter yacht with a leaking sea cock.
- 2026-09-25 email out (Wyn): Checked the yacht; it was a worn seal, and we sent advice for the skippers.
""",
    "ida.md": f"""
---
id: m-06
name: Ida Brandt
segment: b2c
{CONTACT}
facts:
  boat: Kittiwake, 22 ft gaff cutter
---
## History
- 2026-07-01 email out (Wyn): Sent the summer mooring invoice.
""",
    "noor.md": f"""
---
id: m-07
name: Noor Hale
segment: b2c
{CONTACT}
facts:
  boat: Kittiwake, 19 ft day boat
---
## History
- 2026-07-03 email out (Wyn): Sent the summer mooring invoice.
""",
}
PLAYBOOK = {
    "berths.md": """
---
title: Berths and moorings at Saltmarsh Marina
topics: [berths, prices]
---
Berth plans, monthly prices:

- Summer berth (April to September): £140 a month.
- Annual berth: £110 a month, paid monthly for 12 months.
- Dinghy park space: £25 a month.
""",
    "boatyard.md": """
---
title: Boatyard services
topics: [lift-out, storage]
---
A lift-out and pressure wash costs £180 for boats up to 30 ft. Winter storage ashore is £12 per foot per
season. Boat hire firms, clubs and schools get one free lift-out a year for a safety boat.
""",
}


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Services:
    root = write_folder(tmp_path_factory.mktemp("marina") / "knowledge", customers=CUSTOMERS, playbook=PLAYBOOK)
    svc = build_services(make_settings(root, tmp_path_factory.mktemp("marina-index")))
    svc.knowledge.sync()
    return svc


def ask(services: Services, question: str) -> Answer:
    return services.assistant.ask(question)


def codes(answer: Answer) -> set[str]:
    return {w.code for w in answer.warnings}


@pytest.mark.parametrize(
    "question",
    [
        "Sea Wren's owner wants to know the lift-out price, draft a reply",
        "the owner of Sea Wren asked when she can come out of the water",
    ],
)
def test_a_name_in_their_facts_names_them_over_a_shared_role(services: Services, question: str) -> None:
    answer = ask(services, question)
    assert answer.customer is not None and answer.customer.id == "m-01", (codes(answer), answer.candidates)


def test_a_role_several_customers_hold_names_none_of_them_alone(services: Services) -> None:
    finder = services.knowledge.snapshot().finder
    assert not [m for m in finder.find("the owner wants a quote for a lift-out") if m.matched == "role"]
    top = finder.find("the treasurer wants a quote for a lift-out")[0]
    assert (top.customer.id, top.matched) == ("m-04", "role")  # Gwen is the only treasurer


def test_the_same_name_in_two_customers_facts_stays_ambiguous(services: Services) -> None:
    answer = ask(services, "Kittiwake's owner asked about the lift-out, what do I say?")
    assert answer.customer is None
    assert "ambiguous_customer" in codes(answer)
    assert {c.id for c in answer.candidates} == {"m-06", "m-07"}


def test_only_the_head_of_a_fact_is_a_name(services: Services) -> None:
    """'Westerly' describes Sea Wren (a make); it is no key to Oskar, while 'Sea Wren' is."""
    finder = services.knowledge.snapshot().finder
    named = {m.customer.id for m in finder.find("Sea Wren") if m.matched == "fact"}
    assert named == {"m-01"}
    assert not [m for m in finder.find("Westerly") if m.matched == "fact"]


def test_part_of_a_company_name_names_that_company(services: Services) -> None:
    """Pete's file has a complaint about an invoice too: by meaning alone the two are close."""
    question = "the rowing club complained about their invoice, how do we respond"
    top = services.knowledge.snapshot().finder.find(question)[0]
    assert (top.customer.id, top.matched, top.named_by) == ("m-04", "company", {"rowing", "club"})
    answer = ask(services, question)
    assert answer.customer is not None and answer.customer.id == "m-04", (codes(answer), answer.candidates)
    assert "unanswered_message" in codes(answer)


def test_words_of_the_offer_in_a_company_name_name_nobody(services: Services) -> None:
    """'boat hire' is part of Marsh Boat Hire, but both words are the marina's own (its playbook says
    what boat hire firms get): no word of the run is Marsh's alone."""
    matches = services.knowledge.snapshot().finder.find("do we give a discount on boat hire lift-outs?")
    assert not [m for m in matches if m.matched == "company"]


@pytest.mark.parametrize(
    "question",
    [
        "whats the annual berth a month again?",
        "Quick q: monthly price of the Annual berth?",
        "someone at the office is asking how much a berth is per month for a 28 ft boat",
    ],
)
def test_a_question_about_the_offer_names_nobody(services: Services, question: str) -> None:
    """Oskar's file says 'Set up the Annual berth' and his tag is annual-berth: still a question of fact."""
    answer = ask(services, question)
    assert answer.customer is None, answer.customer
    assert answer.intent == "fact"
    assert any("£110" in f.text for f in answer.facts), [f.text for f in answer.facts]


def test_a_description_of_a_person_still_finds_them(services: Services) -> None:
    answer = ask(services, "the charter skipper whose yacht had a leaking sea cock, can you draft a check-in")
    assert answer.customer is not None and answer.customer.id == "m-05"


# The held-out requests that revealed the rules above (tests/folders/vet-clinic, on its own date).
HELD_OUT = [
    ("Bruno's owner wants to know the OOH fee. draft reply", "mv-02", None, []),
    (
        "greyhound rescue complained about their invoice, how do we respond",
        "mv-09",
        None,
        ["marketing_opt_out", "unanswered_message"],
    ),
    ("whats the large dog plan a month again?", None, "fact", []),
    ("Quick q: monthly price of the Large Dog health plan?", None, "fact", []),
    ("someone at the desk is asking how much the plan is for a big dog (over 25kg)", None, "fact", []),
    ("how much do we charge for the health plan for dogs over 25 kg", None, "fact", []),
]


@pytest.fixture(scope="module")
def vet_clinic() -> Folder:
    return next(f for f in load_folders() if f.name == "vet-clinic")


@pytest.mark.parametrize(("question", "customer", "intent", "warnings"), HELD_OUT)
def test_held_out_requests_through_the_cli(
    vet_clinic: Folder,
    tmp_path_factory: pytest.TempPathFactory,
    question: str,
    customer: str | None,
    intent: str | None,
    warnings: list[str],
) -> None:
    index = tmp_path_factory.getbasetemp() / "vet-clinic-index"  # built by the first run, reused after
    out = rapport(
        "--knowledge",
        str(vet_clinic.knowledge),
        "--index",
        str(index),
        "ask",
        question,
        "--json",
        env={"RAPPORT_TODAY": vet_clinic.today.isoformat()},
    )
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert (answer["customer"] or {}).get("id") == customer, answer["warnings"]
    if intent:
        assert answer["intent"] == intent
    assert set(warnings) <= {w["code"] for w in answer["warnings"]}
