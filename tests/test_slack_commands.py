"""Slash commands through full signed requests: /customer and the admin-only /rapport."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.index.embedding import MiniLMEmbedding
from tests.fake_slack import Bot, running_bot, sample_index
from tests.slack_requests import all_text, click, load


@pytest.fixture(scope="module")
def index_dir(sample_copy: Path, tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding) -> Path:
    base = tmp_path_factory.getbasetemp()
    return sample_index(tmp_path_factory.mktemp("slack-commands") / "index", base, embedder)


@pytest.fixture
def bot(sample_copy: Path, index_dir: Path, embedder: MiniLMEmbedding) -> Iterator[Bot]:
    with running_bot(sample_copy, index_dir, embedder) as b:
        yield b


def customer(bot: Bot, text: str, user: str = "USTAFF") -> dict[str, Any]:
    return load("command_customer", bot.fake, text=text, user_id=user)


def admin(bot: Bot, text: str, user: str = "UADMIN") -> dict[str, Any]:
    return load("command_rapport", bot.fake, text=text, user_id=user)


def ack_body(response: Any) -> dict[str, Any]:
    """Bolt answers a text-only ack as plain text, anything richer as JSON; Slack takes both."""
    body = response.body or ""
    return json.loads(body) if body.startswith("{") else {"text": body} if body else {}


def test_customer_card_is_ephemeral_and_the_only_place_private_notes_appear(bot: Bot) -> None:
    response = bot.send(customer(bot, "Margaret Hughes"))
    assert response.status == 200 and ack_body(response) == {}

    sent = bot.fake.wait_for("response_url")[0].args
    assert sent["_path"].startswith("/hooks/commands/T0001/")
    assert sent["response_type"] == "ephemeral"
    text = all_text(sent["blocks"])
    assert "Margaret Hughes" in text and "Peggy" in text
    assert "Private (staff only" in text and "Husband passed away" in text
    assert "Last contact" in text and "2026-10-10" in text and "Next proactive contact" in text
    assert "Recent history" in text and "Ethiopia Guji natural" in text
    assert sent["text"].startswith("Rapport: customer card for Margaret Hughes")
    assert not bot.fake.calls_to("chat.postMessage")


def test_customer_finds_by_email(bot: Bot) -> None:
    bot.send(customer(bot, "<mailto:jane.okafor@example.com|jane.okafor@example.com>"))
    assert "Jane Okafor" in all_text(bot.fake.wait_for("response_url")[0].args["blocks"])


def test_customer_with_no_text_gets_usage_help_in_the_ack(bot: Bot) -> None:
    response = bot.send(customer(bot, "  "))
    body = ack_body(response)
    assert "Usage" in all_text(body["blocks"]) and body["text"] == "Usage: /customer QUERY"
    assert bot.fake.methods() == []


def test_customer_with_no_match_says_so(bot: Bot) -> None:
    bot.send(customer(bot, "zzqx@nowhere.invalid"))
    sent = bot.fake.wait_for("response_url")[0].args
    assert "No customer matches" in sent["text"]


def test_a_query_with_markup_is_escaped_in_the_blocks_and_the_fallback(bot: Bot) -> None:
    bot.send(customer(bot, "Zzqx &lt;!channel&gt; &amp; co"))  # what Slack sends for "Zzqx <!channel> & co"
    sent = bot.fake.wait_for("response_url")[0].args
    assert sent["text"] == "No customer matches Zzqx &lt;!channel&gt; &amp; co."
    assert "“Zzqx &lt;!channel&gt; &amp; co”" in all_text(sent["blocks"])
    assert "<!channel>" not in json.dumps(sent)


def test_an_ambiguous_customer_offers_buttons_and_a_pick_shows_the_card(bot: Bot) -> None:
    bot.send(customer(bot, "Jane"))
    listing = bot.fake.wait_for("response_url")[0].args
    blocks = listing["blocks"]
    labels = all_text(blocks)
    assert "Jane Okafor (cus-0002)" in labels and "Jane Whitfield (cus-0004)" in labels

    pick_whitfield = next(
        e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"] if "cus-0004" in e["value"]
    )
    template = load("block_actions", bot.fake)
    template["container"] = {"type": "message", "message_ts": "1763800300.000100", "is_ephemeral": True}
    template.pop("message")
    bot.send(click(template, blocks, pick_whitfield))

    card = bot.fake.wait_for("response_url", 2)[1].args
    assert card["replace_original"] is True and card["response_type"] == "ephemeral"
    assert "Jane Whitfield" in all_text(card["blocks"])


def test_admin_status_reports_index_problems_and_acceptance(bot: Bot) -> None:
    bot.rt.feedback.record("shown", "d1")
    bot.rt.feedback.record("shown", "d2")
    bot.rt.feedback.record("helpful", "d1")
    response = bot.send(admin(bot, "status"))
    assert response.status == 200 and ack_body(response) == {}
    sent = bot.fake.wait_for("response_url")[0].args
    text = all_text(sent["blocks"])
    assert "18 customers" in text and "Last sync" in text and "Problems" in text
    assert "*50%* (1 of 2 drafts" in text
    assert sent["response_type"] == "ephemeral"


def test_admin_reload_reindexes_and_reports(bot: Bot) -> None:
    response = bot.send(admin(bot, "reload"))
    assert "Re-indexing" in ack_body(response)["text"]
    sent = bot.fake.wait_for("response_url", 2)
    assert "Re-indexed: 0 added, 0 changed, 0 deleted" in sent[0].args["text"] + all_text(sent[0].args["blocks"])
    assert "18 customers" in all_text(sent[1].args["blocks"])


@pytest.mark.parametrize("sub", ["status", "reload", ""])
def test_admin_commands_politely_refuse_everyone_else(bot: Bot, sub: str) -> None:
    response = bot.send(admin(bot, sub, user="USTAFF"))
    assert response.status == 200
    text = ack_body(response)["text"]
    assert text.startswith("Sorry, `/rapport` is for Rapport admins only.") and "<@UADMIN>" in text
    bot.app.listener_runner.listener_executor.submit(lambda: None).result()
    assert bot.fake.methods() == []


def test_admin_help(bot: Bot) -> None:
    assert "/rapport status" in ack_body(bot.send(admin(bot, "what")))["text"]
