"""Facts chosen by meaning, for this customer: their plan's price, not another plan's; staff-only kept apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge.parser import parse_text
from bot.services.container import Services, build_services
from bot.services.sentences import sentences_of, split_sentences
from bot.services.voice import fact_sentence, second_person
from tests.conftest import make_settings, write

PLANS = """
---
title: Plans and prices
topics: [plans, prices, seats]
---
Managed IT plans are billed per seat each month.

## Essentials
Essentials costs £40 per seat per month and includes remote support from 9 a.m. to 5 p.m. on weekdays.

## Professional
Professional costs £65 per seat per month. It adds on-site visits, e.g. for a failed laptop, within one working day.

## Enterprise
Enterprise is priced per contract, with a named engineer.

## Staff only
Between us, we can waive the onboarding fee for a 3-year contract. Check the contract before promising anything.
"""

RETURNS = """
---
title: Equipment returns
topics: [returns, hardware]
---
The client pays return postage unless the item is faulty. Loan laptops go back within 14 days.
"""

PERKS = """
---
title: Thank-you perks
topics: [vip]
perks:
  - name: a free security review
    for: vip
    every_days: 365
---
A free security review covers every seat on the plan.
"""


def client(cid: str, name: str, plan: str) -> str:
    return f"""
---
id: {cid}
name: {name}
segment: b2b
company: {name.split()[1]} Ltd
facts:
  plan: {plan}
  seats: 14
  renewal_date: 2027-01-31
---
## History
- 2026-10-01 email in: Asked about adding seats.
"""


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Services:
    root = tmp_path_factory.mktemp("it") / "knowledge"
    write(root, "playbook/plans.md", PLANS)
    write(root, "playbook/returns.md", RETURNS)
    write(root, "playbook/perks.md", PERKS)
    write(root, "customers/ravi.md", client("c-1", "Ravi Northwind", "Professional"))
    write(root, "customers/anna.md", client("c-2", "Anna Brightside", "Essentials"))
    write(root, "customers/ola.md", client("c-3", "Ola Quayside", "Enterprise"))
    svc = build_services(make_settings(root, tmp_path_factory.mktemp("it-index")))
    svc.knowledge.sync()
    return svc


def test_sentences_know_abbreviations_decimals_and_their_lines() -> None:
    parsed = parse_text("playbook/plans.md", PLANS.lstrip("\n"))
    assert parsed.item is not None
    found = [s for _, group in sentences_of(parsed.item) for s in group]  # type: ignore[arg-type]
    texts = [s.text for s in found]
    assert (
        "Essentials costs £40 per seat per month and includes remote support from 9 a.m. to 5 p.m. on weekdays."
        in texts
    )
    assert any(t.startswith("It adds on-site visits, e.g. for a failed laptop") for t in texts)
    essentials = next(s for s in found if s.text.startswith("Essentials"))
    assert essentials.source == "playbook/plans.md#L8" and essentials.heading == "Essentials"
    assert [s.staff_only for s in found if s.text.startswith("Between us")] == [True]
    assert [t for _, t in split_sentences("See No. 5 for details. It weighs 1.5 kg. Call at 9 a.m. Then we ship.")] == [
        "See No. 5 for details.",
        "It weighs 1.5 kg.",
        "Call at 9 a.m.",
        "Then we ship.",
    ]


def test_the_customers_plan_decides_which_price(services: Services) -> None:
    snap = services.knowledge.snapshot()
    for cid, theirs, others in (
        ("c-1", "£65", ("£40", "Enterprise is priced")),
        ("c-2", "£40", ("£65", "Enterprise is priced")),
    ):
        customer = snap.kb.customers[cid]
        facts = snap.facts.choose("How much would two more seats cost us each month?", "price per seat", customer)
        said = " ".join(p.text for p in facts.answer)
        assert theirs in said, (cid, said)
        assert not any(o in said for o in others), (cid, said)


def test_a_question_about_no_one_gets_every_plan(services: Services) -> None:
    facts = services.knowledge.snapshot().facts.choose(None, "How much is a seat per month?", None)
    said = " ".join(p.text for p in facts.answer)
    assert "£40" in said and "£65" in said


def test_staff_only_is_for_staff_and_perk_pages_are_not_answers(services: Services) -> None:
    snap = services.knowledge.snapshot()
    facts = snap.facts.choose("Is there an onboarding fee on a three-year contract?", "", snap.kb.customers["c-1"])
    assert any("waive the onboarding fee" in p.text for p in facts.staff)
    assert not any("waive" in p.text for p in facts.answer)
    review = snap.facts.choose("Do you do security reviews?", "", snap.kb.customers["c-1"])
    assert not any(p.source.startswith("playbook/perks.md") for p in review.answer)


def test_customer_facts_that_answer_are_chosen(services: Services) -> None:
    snap = services.knowledge.snapshot()
    facts = snap.facts.choose("When does our contract renew?", "", snap.kb.customers["c-1"])
    assert any(p.text == "renewal date: 2027-01-31" and p.source == "customers/ravi.md#L9" for p in facts.customer)


def test_what_the_facts_do_not_cover_is_listed(services: Services) -> None:
    snap = services.knowledge.snapshot()
    facts = snap.facts.choose(
        "How much is a seat on our plan? And can you fix our office Wi-Fi printer driver on Linux?",
        "",
        snap.kb.customers["c-1"],
    )
    assert facts.uncovered == ["And can you fix our office Wi-Fi printer driver on Linux?"]


@pytest.mark.parametrize(
    "policy, said",
    [
        (
            "The client pays return postage unless the item is faulty.",
            "You pay return postage unless the item is faulty.",
        ),
        ("We email the customer when the refund is issued.", "We email you when the refund is issued."),
        (
            "If a client's laptop fails, they can ask for a loan device.",
            "If your laptop fails, you can ask for a loan device.",
        ),
        ("Members get 10% off classes.", "You get 10% off classes."),
        ("Each member has two guest passes a year.", "You have two guest passes a year."),
        ("The customer service team replies within 24 hours.", "The customer service team replies within 24 hours."),
        ("Members who cancel late lose the credit.", "Members who cancel late lose the credit."),
        ("Our customers' favourite is the rose.", "Our customers' favourite is the rose."),
    ],
)
def test_policy_in_the_second_person_only_where_safe(policy: str, said: str) -> None:
    assert second_person(policy) == said


def test_customer_facts_as_sentences() -> None:
    from bot.core.plan import Passage

    def say(text: str) -> str:
        return fact_sentence(Passage(source="x", text=text))

    assert say("renewal date: 2027-01-31") == "Your renewal date is Sunday 31 January 2027."
    assert say("plan: Professional") == "Your plan is Professional."
    assert say("seats: 14") == "You have 14 seats."


def test_sample_folder_keeps_staff_guidance_out_of_drafts(sample_services: Services, tmp_path: Path) -> None:
    for question in (
        "Jane Whitfield asked what we can say about our prices for 2027",
        "Hannah asked: are your bags plastic-free?",
        "Jane Okafor says her parcel still hasn't arrived",
    ):
        answer = sample_services.assistant.ask(question)
        staff = [f.text for f in answer.facts if f.staff_only]
        for draft in answer.drafts:
            assert not any(s[:40] in draft.text for s in staff), question
            assert "Only state facts" not in draft.text and "this playbook" not in draft.text
