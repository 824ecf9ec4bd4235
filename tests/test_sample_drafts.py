"""The sample folder's requests that went wrong before this round, each answered as a staff member expects."""

from __future__ import annotations

import json

from bot.core.answer import Answer
from bot.services.container import Services
from tests.test_cli import rapport


def drafted(answer: Answer) -> str:
    return "\n".join(d.text for d in answer.drafts)


def test_pasted_customer_words_are_replies_with_the_answer(sample_services: Services) -> None:
    sofia = sample_services.assistant.ask("Sofia asked: can I pause my subscription over Christmas?")
    assert sofia.intent == "reply" and sofia.drafts and "paused" in drafted(sofia)
    assert "contact_too_soon" not in sofia.codes()
    hannah = sample_services.assistant.ask("Hannah asked: are your bags plastic-free?")
    assert hannah.intent == "reply" and "compostable" in drafted(hannah)
    assert "check in" not in drafted(hannah).lower()


def test_price_questions_get_the_playbooks_prices(sample_services: Services) -> None:
    answer = sample_services.assistant.ask("How much is the Swiss Water decaf per kilo? Bob asked.")
    assert answer.customer is not None and "£27.00" in drafted(answer)
    assert "dispatched Monday to Thursday" not in drafted(answer)
    assert "come back to you" not in drafted(answer)


def test_policy_is_said_to_them_not_about_them(sample_services: Services) -> None:
    answer = sample_services.assistant.ask("Liam asked whether he pays the postage to send back an unused grinder")
    text = drafted(answer)
    assert "You pay return postage" in text and "The customer pays" not in text


def test_the_brand_voice_guidance_is_for_staff_only(sample_services: Services) -> None:
    answer = sample_services.assistant.ask("Jane Whitfield asked what we can promise about 2027 prices")
    assert answer.drafts
    assert "this playbook" not in drafted(answer) and "Only state facts" not in drafted(answer)
    assert "Do not promise a price freeze" not in drafted(answer)
    assert any(f.staff_only and "price freeze" in f.text for f in answer.facts)


def test_a_cold_brew_question_gets_no_descaling_text(sample_services: Services) -> None:
    answer = sample_services.assistant.ask("Grace asked about cold brew for her events, what should I tell her?")
    assert answer.intent == "reply" and answer.drafts
    assert "descal" not in drafted(answer).lower()


def test_an_unanswered_message_is_named_and_answered_first(sample_services: Services) -> None:
    answer = sample_services.assistant.ask("Anything for Alex Moreno?")
    warning = next(w for w in answer.warnings if w.code == "unanswered_message")
    assert "2026-11-19" in warning.message and "descale" in warning.message
    assert answer.intent == "reply" and answer.drafts and "descal" in drafted(answer).lower()


def test_outreach_is_written_for_its_purpose(sample_services: Services) -> None:
    perk = sample_services.assistant.ask("Offer Peggy a VIP perk as a thank you")
    assert perk.purpose == "perk" and "tasting box" in drafted(perk)
    assert "playbook/vip-perks.md" in perk.drafts[0].sources
    check_in = sample_services.assistant.ask("Should I check in with Peggy this week?")
    assert check_in.purpose == "check_in" and "subscription" in drafted(check_in)
    assert "tasting box" not in drafted(check_in)
    not_vip = sample_services.assistant.ask("Offer Liam a VIP perk", intent="outreach")
    assert not_vip.drafts == [] and any("not a VIP" in n for n in not_vip.notes)


def test_a_question_about_no_one_gets_facts_through_the_cli(sample_copy: object, tmp_path: object) -> None:
    done = rapport(
        "ask", "How much is the decaf per kg?", "--json", "--knowledge", str(sample_copy), "--index", str(tmp_path)
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["customer"] is None and answer["intent"] == "fact" and answer["drafts"] == []
    assert any("£27.00" in f["text"] for f in answer["facts"])
    assert answer["warnings"] == []


def test_a_question_the_facts_answer_gets_no_promise_for_a_word_the_folder_lacks(sample_services: Services) -> None:
    """'plastic-free' is nowhere in the playbook, yet the packaging sentence answers it: no "I'll check"."""
    answer = sample_services.assistant.ask("Hannah asked: are your bags plastic-free?")
    assert "home-compostable" in drafted(answer) and "come back to you" not in drafted(answer)
