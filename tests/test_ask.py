"""`rapport ask` scenarios on the sample folder: one per warning and guard code, plus the consent properties."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.answer import Answer, Draft, Usage
from bot.core.drafting import DrafterResult, DrafterUnavailable
from bot.core.plan import DraftPlan
from bot.services.ask import Assistant
from bot.services.container import Services
from tests.test_cli import rapport


def ask(services: Services, question: str, customer: str | None = None, intent: str | None = None) -> Answer:
    return services.assistant.ask(question, customer_id=customer, intent=intent)  # type: ignore[arg-type]


def codes(answer: Answer) -> set[str]:
    return {w.code for w in answer.warnings}


def private_phrases(services: Services, customer_id: str) -> list[str]:
    text = services.knowledge.snapshot().kb.customers[customer_id].private_text
    return [p.strip() for p in re.split(r"[.;\n]", text) if len(p.strip()) > 12]


# -- who ---------------------------------------------------------------------------


def test_customer_not_found(sample_services: Services) -> None:
    answer = ask(sample_services, "How do I reply to Zebedee Quartermaine about his order?")
    assert codes(answer) == {"customer_not_found"}
    assert answer.customer is None and answer.drafts == [] and answer.candidates == []


def test_ambiguous_customer_lists_candidates_and_drafts_nothing(sample_services: Services) -> None:
    answer = ask(sample_services, "What should I reply to Jane?")
    assert "ambiguous_customer" in codes(answer)
    assert answer.customer is None and answer.drafts == []
    assert {c.id for c in answer.candidates} == {"cus-0002", "cus-0004"}


def test_customer_option_overrides_the_question(sample_services: Services) -> None:
    answer = ask(sample_services, "What should I reply to Jane?", customer="cus-0004")
    assert answer.customer is not None and answer.customer.id == "cus-0004"
    assert "ambiguous_customer" not in codes(answer)


# -- consent and cadence -------------------------------------------------------------


def test_marketing_opt_out_blocks_outreach_but_not_a_reply(sample_services: Services) -> None:
    outreach = ask(sample_services, "Should I check in with Alex Moreno and send them something?", intent="outreach")
    assert "marketing_opt_out" in codes(outreach)
    assert outreach.intent == "outreach" and outreach.drafts == []
    # Read without staff saying how: their unanswered message comes first, and a reply is allowed.
    first = ask(sample_services, "Should I check in with Alex Moreno and send them something?")
    assert first.intent == "reply" and first.drafts and {"unanswered_message", "marketing_opt_out"} <= codes(first)
    reply = ask(sample_services, "Alex Moreno asked about descaling, what do I answer?")
    assert reply.intent == "reply" and reply.drafts
    assert "marketing_opt_out" in codes(reply)
    assert "contact_overdue" not in codes(reply)  # cadence warnings are moot for an opt-out


def test_no_contact(sample_services: Services) -> None:
    outreach = ask(sample_services, "Should I reach out to Bob Lindqvist this month?")
    assert "no_contact" in codes(outreach) and outreach.drafts == []
    assert outreach.cadence is not None and outreach.cadence.next_allowed is None


def test_contact_too_soon_names_the_next_date(sample_services: Services) -> None:
    answer = ask(sample_services, "Should I check in with Jane Okafor today?", intent="outreach")
    warning = next(w for w in answer.warnings if w.code == "contact_too_soon")
    assert "2026-11-25" in warning.message
    assert answer.drafts == []


def test_a_reply_is_never_too_soon(sample_services: Services) -> None:
    answer = ask(sample_services, "How should I answer Jane Okafor about the late parcel?")
    assert answer.intent == "reply"
    assert "contact_too_soon" not in codes(answer)
    assert answer.drafts


def test_contact_overdue_gets_an_outreach_draft(sample_services: Services) -> None:
    answer = ask(sample_services, "Should I check in with Peggy this week?")
    assert "contact_overdue" in codes(answer)
    assert answer.drafts and all(d.text.startswith("Hi Peggy") for d in answer.drafts)


def test_channel_not_allowed_is_warned_and_drafts_use_an_allowed_channel(sample_services: Services) -> None:
    answer = ask(sample_services, "Tom Baker asked about his next delivery, can I text him the answer?")
    assert answer.intent == "reply"
    assert "channel_not_allowed" in codes(answer)
    assert answer.drafts and {d.channel for d in answer.drafts} <= {"email", "phone"}


def test_a_waiting_line_that_asks_nothing_does_not_turn_outreach_into_a_reply(sample_services: Services) -> None:
    """Tom's last line only tells us the new batch is fine: a request to text him about his next delivery
    is outreach (too soon for his cadence), with the channel and the waiting line both flagged."""
    answer = ask(sample_services, "Can I text Tom Baker about his next delivery?")
    assert answer.intent == "outreach"
    assert {"channel_not_allowed", "unanswered_message", "contact_too_soon"} <= codes(answer)
    assert answer.drafts == []


# -- drafts ----------------------------------------------------------------------------


def test_offline_drafts_are_grounded_personal_and_private(sample_services: Services) -> None:
    root = sample_services.settings.knowledge_dir
    answer = ask(sample_services, "Margaret Hughes asked how long she has to return an unopened bag, what do I say?")
    assert answer.mode == "offline" and 1 <= len(answer.drafts) <= 2
    for draft in answer.drafts:
        assert draft.text.startswith("Hi Peggy")  # preferred name, no title
        assert draft.sources, "every draft says where its facts came from"
        for source in draft.sources:
            assert (root / source.split("#")[0]).is_file(), source
        for phrase in private_phrases(sample_services, "cus-0001"):
            assert phrase.lower() not in draft.text.lower()
    assert any("playbook/returns.md" in s for d in answer.drafts for s in d.sources)
    assert answer.guard.checked >= len(answer.drafts)


def test_b2b_draft_leads_with_the_business_facts(sample_services: Services) -> None:
    answer = ask(sample_services, "Priya Shah asked what our wholesale price per kilo is, how do I reply?")
    body = answer.drafts[0].text.split("\n\n")[1] if "\n\n" in answer.drafts[0].text else answer.drafts[0].text
    assert "£" in body.split(".")[0], body
    assert any(s.startswith("playbook/prices.md") for s in answer.drafts[0].sources)


def test_missing_facts_give_an_honest_holding_reply(sample_services: Services) -> None:
    answer = ask(sample_services, "Hannah Becker asked whether we can deliver to her office in Leeds by drone, reply?")
    assert answer.drafts
    text = " ".join(d.text for d in answer.drafts)
    assert "come back to you by" in text
    assert not re.search(r"\b(yes|we can|we do)\b", text, re.I)
    assert answer.guard.violations == []


# -- content ideas -----------------------------------------------------------------------


def test_content_ideas_fit_and_are_new(sample_services: Services) -> None:
    kb = sample_services.knowledge.snapshot().kb
    items = {c.path: c for c in kb.content}
    for cid, customer in kb.customers.items():
        answer = ask(sample_services, "What could I share with them?", customer=cid)
        assert len(answer.content_ideas) <= 3
        history = " ".join(e.text for e in customer.history).lower()
        for idea in answer.content_ideas:
            item = items[idea.path]
            assert item.audience in ("all", customer.segment), (cid, idea.path)
            assert not (item.promotional and customer.contact.marketing_opt_out), (cid, idea.path)
            assert item.title.lower() not in history, f"{idea.title} was already sent to {cid}"
            assert idea.reason.strip()


def test_third_party_content_is_welcome(sample_services: Services) -> None:
    answer = ask(sample_services, "Alex Moreno asked about descaling, what do I answer?")
    assert answer.content_ideas[0].path == "content/descale-espresso-machine.md"
    assert answer.content_ideas[0].source == "third-party"


# -- consent properties ----------------------------------------------------------------------

QUESTIONS = st.lists(
    st.sampled_from(
        [
            "check in",
            "follow up",
            "send them our winter offer",
            "reach out",
            "what should I share",
            "promote the grinder bundle",
            "reply to",
            "they asked about",
            "newsletter",
            "by text",
            "discount",
            "subscription",
        ]
    )
    | st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", max_size=20),
    min_size=1,
    max_size=4,
).map(" ".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=QUESTIONS, who=st.sampled_from(["cus-0005", "cus-0009", "cus-0006"]))
def test_opted_out_or_never_contacted_customers_never_get_outreach_or_promotion(
    sample_services: Services, question: str, who: str
) -> None:
    answer = ask(sample_services, question, customer=who)
    items = {c.path: c for c in sample_services.knowledge.snapshot().kb.content}
    customer = sample_services.knowledge.snapshot().kb.customers[who]
    if customer.contact.marketing_opt_out:
        assert not any(items[i.path].promotional for i in answer.content_ideas)
    if answer.intent == "outreach":
        assert answer.drafts == []


# -- the guard on the answer path --------------------------------------------------------------


class ScriptedDrafter:
    """Stands in for a language model that writes whatever it is told to (hostile, here)."""

    def __init__(self, *texts: str, channel: str = "email", fail: bool = False) -> None:
        self.texts, self.channel, self.fail = texts, channel, fail

    def draft(self, plan: DraftPlan, progress: object = None) -> DrafterResult:
        if self.fail:
            raise DrafterUnavailable("The language model timed out; these drafts were made offline.")
        drafts = [Draft(text=t, channel=self.channel, sources=[]) for t in self.texts]  # type: ignore[arg-type]
        return DrafterResult(drafts=drafts, usage=Usage(prompt_tokens=100, completion_tokens=20, total_tokens=120))

    def refine(self, plan: DraftPlan, draft: Draft, style: str) -> DrafterResult:
        return self.draft(plan)


def with_drafter(services: Services, drafter: ScriptedDrafter) -> Assistant:
    return Assistant(services.knowledge, drafter)


JANE_Q = "How should I answer Jane Okafor about the late parcel?"
HOSTILE = [
    ("Hi Jane, sorry! Here is 25% off your next order. We are chasing the courier.", "email", "unsupported_claim"),
    ("Hi Jane, here are some discount codes to say sorry. We are chasing the courier.", "email", "avoided_topic"),
    ("Dear Mrs Okafor,\n\nWe are chasing the courier.", "email", "gendered_address"),
    (
        "Hi Jane, we are chasing the courier. Tom at tom.baker@grindhouse.example.com had the same.",
        "email",
        "other_customer",
    ),
    ("Hi Jane, we are chasing the courier. I'll give you a quick call tomorrow.", "email", "channel_not_allowed"),
    ("Hi Jane, we are chasing the courier.", "phone", "channel_not_allowed"),
]


@pytest.mark.parametrize(("text", "channel", "code"), HOSTILE)
def test_guard_codes_on_the_answer_path(sample_services: Services, text: str, channel: str, code: str) -> None:
    answer = with_drafter(sample_services, ScriptedDrafter(text, channel=channel)).ask(JANE_Q)
    assert answer.mode == "llm" and answer.usage is not None
    assert code in {v.code for v in answer.guard.violations}
    assert answer.drafts and all(d.channel in ("email", "sms") for d in answer.drafts)
    assert "chasing the courier" in answer.drafts[0].text


def test_private_leak_on_the_answer_path(sample_services: Services) -> None:
    private = sample_services.knowledge.snapshot().kb.customers["cus-0001"].private_text
    leak = f"Hi Peggy, I wanted to check in. {private.splitlines()[0]}"
    answer = with_drafter(sample_services, ScriptedDrafter(leak)).ask("Should I check in with Peggy this week?")
    assert "private_leak" in {v.code for v in answer.guard.violations}
    assert all(private.splitlines()[0][:30] not in d.text for d in answer.drafts)


def test_llm_unavailable_falls_back_to_offline_drafts(sample_services: Services) -> None:
    answer = with_drafter(sample_services, ScriptedDrafter(fail=True)).ask(JANE_Q)
    assert answer.mode == "offline" and "llm_unavailable" in codes(answer)
    assert answer.drafts and answer.usage is None


def test_refine_keeps_facts_and_rules(sample_services: Services) -> None:
    first = ask(sample_services, JANE_Q).drafts[0]
    for style in ("shorter", "formal", "warmer", "regenerate"):
        redone = sample_services.assistant.refine("cus-0002", JANE_Q, first, style)
        assert redone.drafts, style
        assert redone.guard.violations == [], (style, redone.guard.violations)
        assert "Okafor" not in redone.drafts[0].text.split("\n")[0]
    shorter = sample_services.assistant.refine("cus-0002", JANE_Q, first, "shorter").drafts[0]
    assert len(shorter.text) < len(first.text)
    translated = sample_services.assistant.refine("cus-0002", JANE_Q, first, "language:French")
    assert "llm_unavailable" in codes(translated)


# -- through the command line -----------------------------------------------------------------


def test_ask_json_through_the_cli(sample_copy: Path, tmp_path: Path) -> None:
    out = rapport("ask", JANE_Q, "--json", "--knowledge", str(sample_copy), "--index", str(tmp_path))
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert {"mode", "customer", "candidates", "drafts", "content_ideas", "warnings", "guard"} <= set(answer)
    assert answer["mode"] == "offline"
    assert answer["customer"] == {"id": "cus-0002", "name": "Jane Okafor", "preferred_name": "Jane"}
    assert answer["drafts"] and {"text", "channel", "sources"} <= set(answer["drafts"][0])
    assert set(answer["guard"]) >= {"checked", "dropped", "violations"}


def test_ask_card_through_the_cli(sample_copy: Path, tmp_path: Path) -> None:
    index = str(tmp_path)
    out = rapport("ask", "Should I check in with Jane Okafor?", "--knowledge", str(sample_copy), "--index", index)
    assert out.returncode == 0, out.stderr
    # Her message of 20 November is unanswered: the card replies to it first and says so.
    assert "Jane Okafor" in out.stdout and "unanswered_message" in out.stdout and "--outreach" in out.stdout
    out = rapport(
        "ask", "Should I check in with Jane Okafor?", "--outreach", "--knowledge", str(sample_copy), "--index", index
    )
    assert out.returncode == 0, out.stderr
    assert "contact_too_soon" in out.stdout and "2026-11-25" in out.stdout and "No drafts" in out.stdout


def test_a_name_in_the_thread_beats_a_vague_question(sample_services: Services) -> None:
    thread = "Forwarded from Margaret Hughes: is the cold brew blend back in stock?"
    answer = sample_services.assistant.ask("what should I reply?", context=thread)
    assert answer.customer is not None and answer.customer.id == "cus-0001"
    named_in_question = sample_services.assistant.ask("What should I reply to Alex Moreno?", context=thread)
    assert named_in_question.customer is not None and named_in_question.customer.id == "cus-0005"


def test_a_reply_states_the_playbook_fact_that_answers_it(sample_services: Services) -> None:
    answer = ask(sample_services, JANE_Q)
    first = answer.drafts[0]
    assert "5 working days late" in first.text and "reship" in first.text
    assert any(s.startswith("playbook/shipping.md") for s in first.sources)
    assert "sorry" in first.text.lower()  # her last message was a complaint


def test_an_interest_must_be_named_whole() -> None:
    from bot.services.content import mentions

    assert mentions("Pour over and AeroPress: a beginner's comparison", "pour over")
    assert not mentions("Latte art basics: pouring a heart and a rosetta", "pour over")


def test_a_draft_left_with_only_its_framing_is_not_shown(sample_services: Services) -> None:
    """When the guard removes what a draft was for (an offer, a fact), "Just reply to let me know if you'd
    like it." alone is no message: it is dropped and counted, and a draft that says something stays."""
    answer = Answer(question="Should I check in with Peggy this week?")
    snap = sample_services.knowledge.snapshot()
    peggy = next(c for c in snap.kb.customers.values() if c.display_name == "Peggy")
    plan = sample_services.assistant.plan(peggy, answer.question, answer)
    hollow = Draft(
        text="Hi Peggy,\n\nJust reply to let me know if you'd like it. I hope that helps.\n\nWarm wishes",
        channel="email",
    )
    useful = Draft(text="Hi Peggy,\n\nI hope the new grinder is working well for you.\n\nWarm wishes", channel="email")
    kept, report = sample_services.assistant.guard(plan, [hollow, useful])
    assert kept == [useful] and report.dropped == 1


def test_promotional_content_is_not_suggested_to_a_never_contact_customer(sample_services: Services) -> None:
    from bot.knowledge.models import ContentItem
    from bot.services.content import blocked_reason

    snap = sample_services.knowledge.snapshot()
    never = next(c for c in snap.kb.customers.values() if c.contact.frequency == "never")
    offer = ContentItem.model_validate({"path": "content/x.md", "title": "Winter sale", "promotional": True})
    guide = ContentItem.model_validate({"path": "content/y.md", "title": "Descaling guide"})
    assert blocked_reason(offer, never) == "promotional, and the customer is never to be contacted first"
    assert blocked_reason(guide, never) is None
