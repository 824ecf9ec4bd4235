"""The plan goes to the model (issue 9, item 8): the message first, the facts with their ids, the
customer's facts, the purpose; staff-only guidance never. Plans are built here, as the rules would,
and drafted through the real `openai` client against a fake server."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.answer import ContentIdea
from bot.core.plan import CustomerMessage, DraftPlan, Facts, Passage, PerkOffer, Reading, Renewal
from bot.index.embedding import MiniLMEmbedding
from bot.knowledge.models import Contact, Customer, Perk
from bot.llm.drafter import LLMDrafter
from tests import fake_openai as F
from tests.conftest import TODAY, make_settings
from tests.llm_support import Recorder

CUSTOMER = Customer(
    id="cus-x",
    name="Ada Long",
    preferred_name="Addie",
    segment="b2b",
    tier="vip",
    company="Long & Co",
    email="ada@example.com",
    contact=Contact(channels=["email", "sms"]),
    path="customers/ada.md",
    facts={"plan": "Team 20", "renewal_date": dt.date(2027, 1, 31)},
)
MESSAGE = "Can we add five seats before the renewal, and what would that cost?"
ANSWER = Passage(source="playbook/plans.md#L7", text="Extra seats on the Team plan cost £8 per seat per month.")
STAFF = Passage(source="playbook/plans.md#L20", text="Check the seat count in the admin panel first.", kind="staff")
PLAN_FACT = Passage(source="customers/ada.md#L12", text="plan: Team 20", kind="customer_fact")
HISTORY = Passage(
    source="customers/ada.md#L30", text="Renewed the Team plan for a year.", kind="history", date="2026-01-31",
    direction="out",
)  # fmt: skip


def plan(**over: object) -> DraftPlan:
    base: dict[str, object] = {
        "customer": CUSTOMER,
        "channel": "email",
        "reading": Reading(intent="reply", message=CustomerMessage(text=MESSAGE, origin="pasted")),
        "question": "Ada Long emailed about extra seats. What should I reply?",
        "facts": Facts(
            answer=[ANSWER],
            staff=[STAFF],
            customer=[PLAN_FACT],
            history=[HISTORY],
            uncovered=["Can the seats start before the renewal?"],
        ),
        "ideas": [],
        "today": TODAY,
        "complaint": False,
    }
    return DraftPlan(**(base | over))  # type: ignore[arg-type]


GOOD = F.draft(
    "Hi Addie,\n\nExtra seats on your Team plan cost £8 per seat per month, so five seats would be £40 a month. "
    "I'm checking whether they can start before your renewal and will come back to you by Tuesday 24 November."
    "\n\nBest regards",
    sources=["playbook/plans.md#L7"],
)


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedding:
    return MiniLMEmbedding()


@pytest.fixture
def fake() -> Iterator[F.FakeOpenAI]:
    with F.FakeOpenAI("llama-server") as server:
        yield server


def drafter(fake: F.FakeOpenAI, embedder: MiniLMEmbedding) -> LLMDrafter:
    settings = make_settings(Path("knowledge"), Path("index"), openai_api_key="k", openai_base_url=fake.url)
    return LLMDrafter(settings, embed=embedder)


def data_of(task: str) -> dict[str, object]:
    raw = task[task.index("<customer_data>") + len("<customer_data>") : task.index("</customer_data>")]
    loaded: dict[str, object] = json.loads(raw)
    return loaded


def test_the_plan_reaches_the_model_and_staff_guidance_does_not(fake: F.FakeOpenAI, embedder: MiniLMEmbedding) -> None:
    fake.script(F.drafts(GOOD, reading={"intent": "reply", "purpose": "none", "customer_message": MESSAGE}))
    progress = Recorder()
    result = drafter(fake, embedder).draft(plan(), progress)
    task = fake.last.content("user")
    # The customer's message comes first, quoted on its own.
    assert task.index("<customer_message>") < task.index(MESSAGE) < task.index("<staff_request>")
    data = data_of(task)
    assert data["facts"] == [{"source": ANSWER.source, "text": ANSWER.text}]
    assert data["customer_facts"] == [{"source": PLAN_FACT.source, "text": "plan: Team 20"}]
    assert data["request"] == {"intent": "reply", "not_in_the_facts": ["Can the seats start before the renewal?"]}
    assert data["customer"] == {
        "name": "Addie", "segment": "b2b", "tier": "vip", "company": "Long & Co",
        "allowed_channels": ["email", "sms"], "marketing_opt_out": False,
    }  # fmt: skip
    assert STAFF.text not in fake.last.content() and "ada@example.com" not in fake.last.content()
    assert result.drafts and result.drafts[0].channel == "email" and result.rejected == []
    assert result.reading is not None and result.reading.intent == "reply" and result.reading.purpose is None
    assert result.reading.customer_message == MESSAGE
    assert progress.partials and progress.partials[-1].startswith("Hi Addie,")


@pytest.mark.parametrize(
    ("purpose", "said"),
    [
        ("check_in", "follow up on something from their `history`"),
        ("share_content", "Share one of the `content_ideas`"),
        ("renewal", "give the date in `request.renewal`"),
        ("perk", "Offer the perk in `request.perk`"),
        ("advocacy", "Invite them to share their experience"),
        ("preferences", "how and how often they would like to hear from us"),
    ],
)
def test_each_outreach_purpose_is_told_to_the_model(
    fake: F.FakeOpenAI, embedder: MiniLMEmbedding, purpose: str, said: str
) -> None:
    outreach = plan(
        reading=Reading(intent="outreach", purpose=purpose),  # type: ignore[arg-type]
        question="Reach out to Ada Long",
        renewal=Renewal(key="renewal_date", date=dt.date(2027, 1, 31), source="customers/ada.md#L13"),
        perk=PerkOffer(perk=Perk(name="Free onboarding session"), source="playbook/perks.md", text="One hour, booked."),
        ideas=[
            ContentIdea(
                path="content/seats.md",
                title="Managing seats",
                url="https://x.test/s",
                source="ours",
                reason="Ada's team is growing.",
            )
        ],
    )
    fake.script(F.drafts(GOOD))
    drafter(fake, embedder).draft(outreach)
    task = fake.last.content("user")
    assert "<customer_message>" not in task and "This is proactive contact" in task and said in task
    request = data_of(task)["request"]
    assert isinstance(request, dict) and request["intent"] == "outreach" and request["purpose"] == purpose
    assert request["renewal"] == {"source": "customers/ada.md#L13", "date": "Sunday 31 January"}
    assert request["perk"]["name"] == "Free onboarding session"


def test_a_complaint_asks_for_one_apology_and_the_remedy(fake: F.FakeOpenAI, embedder: MiniLMEmbedding) -> None:
    fake.script(F.drafts(GOOD))
    drafter(fake, embedder).draft(plan(complaint=True))
    task = fake.last.content("user")
    assert data_of(task)["request"]["complaint"] is True  # type: ignore[index]
    assert "apologise once" in task
