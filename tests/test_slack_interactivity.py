"""Buttons, the message shortcut and its modal, through full signed requests."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.index.embedding import MiniLMEmbedding
from bot.slack.constants import VIEW_FIND_CUSTOMER
from tests.conftest import SAMPLE
from tests.fake_slack import BOT_USER_ID, Bot, all_text, click, load, running_bot, sample_index

MENTION_TS = "1763800000.000200"


@pytest.fixture(scope="module")
def index_dir(sample_copy: Path, tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding) -> Path:
    base = tmp_path_factory.getbasetemp()
    return sample_index(tmp_path_factory.mktemp("slack-interactivity") / "index", base, embedder)


@pytest.fixture
def bot(sample_copy: Path, index_dir: Path, embedder: MiniLMEmbedding) -> Iterator[Bot]:
    with running_bot(sample_copy, index_dir, embedder) as b:
        yield b


def answered(bot: Bot, text: str | None = None) -> list[dict[str, Any]]:
    """Mention the bot (Tom Baker's warranty question by default); the blocks it posted."""
    payload = load("app_mention")
    if text:
        payload["event"]["text"] = f"<@{BOT_USER_ID}> {text}"
    bot.send(payload)
    blocks: list[dict[str, Any]] = bot.fake.wait_for("chat.postMessage")[0].args["blocks"]
    bot.fake.reset()
    return blocks


@pytest.mark.parametrize(
    ("action_id", "label", "expect"),
    [
        ("draft_shorter", "Shorter", "Hi Tom"),
        ("draft_formal", "More formal", "Dear Tom"),
        ("draft_warmer", "Warmer", "Hi Tom"),
        ("draft_regenerate", "Regenerated", "Tom"),
    ],
)
def test_refine_buttons_answer_in_the_same_thread(bot: Bot, action_id: str, label: str, expect: str) -> None:
    blocks = answered(bot)
    bot.send(click(load("block_actions", bot.fake), blocks, action_id))
    post = bot.fake.wait_for("chat.postMessage")[0].args
    assert (post["channel"], post["thread_ts"]) == ("CSUPPORT", MENTION_TS)
    text = all_text(post["blocks"])
    assert f"*{label}*" in text and expect in text
    assert "Worth sharing" not in text  # a refinement is compact: the draft, its sources, its buttons


@pytest.fixture
def writing_bot(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding) -> Iterator[Bot]:
    """A bot on its own copy: a logged note changes what later answers say (Tom becomes "just contacted")."""
    knowledge = tmp_path / "knowledge"
    shutil.copytree(SAMPLE, knowledge)
    index = sample_index(tmp_path / "index", tmp_path_factory.getbasetemp(), embedder)
    with running_bot(knowledge, index, embedder) as b:
        yield b


def test_log_as_sent_appends_an_out_entry_once_and_confirms_privately(writing_bot: Bot) -> None:
    bot = writing_bot
    path = bot.rt.settings.knowledge_dir / "customers" / "tom-baker.md"
    before = path.read_text(encoding="utf-8")
    blocks = answered(bot)
    payload = click(load("block_actions", bot.fake), blocks, "draft_log_sent")
    bot.send(payload)

    told = bot.fake.wait_for("chat.postEphemeral")[0].args
    assert told["user"] == "USTAFF" and "Logged as sent by phone call in Tom Baker's history" in told["text"]
    added = [line for line in path.read_text(encoding="utf-8").splitlines() if line not in before.splitlines()]
    assert len(added) == 1
    assert added[0].startswith("- 2026-11-22 phone out (Sam Lee, USTAFF): Sent (drafted with Rapport): Hi Tom")
    latest = bot.rt.knowledge.customer("cus-0003").history[-1]
    assert (latest.direction, latest.author) == ("out", "Sam Lee, USTAFF")
    assert [e.kind for e in bot.rt.feedback.events()].count("sent") >= 1

    bot.send(payload)  # a double click
    assert "already logged" in bot.fake.wait_for("chat.postEphemeral", 2)[1].args["text"]
    assert path.read_text(encoding="utf-8").count("Sent (drafted with Rapport)") == 1


def test_feedback_buttons_feed_the_acceptance_rate(bot: Bot) -> None:
    start = bot.rt.feedback.acceptance()
    blocks = answered(bot)
    bot.send(click(load("block_actions", bot.fake), blocks, "draft_helpful", 0))
    bot.send(click(load("block_actions", bot.fake), blocks, "draft_not_helpful", 1))
    thanks = [c.args["text"] for c in bot.fake.wait_for("chat.postEphemeral", 2)]
    assert sorted(thanks) == ["Thanks: noted as helpful.", "Thanks: noted as not helpful. We'll learn from it."]
    now = bot.rt.feedback.acceptance()
    assert (now.shown - start.shown, now.helpful - start.helpful, now.not_helpful - start.not_helpful) == (2, 1, 1)


def test_buttons_on_an_ephemeral_answer_reply_through_the_response_url(bot: Bot) -> None:
    blocks = answered(bot)
    template = load("block_actions", bot.fake)
    template["container"] = {"type": "message", "message_ts": "1763800000.000900", "is_ephemeral": True}
    template.pop("message")
    bot.send(click(template, blocks, "draft_warmer"))
    sent = bot.fake.wait_for("response_url")[0].args
    assert sent["response_type"] == "ephemeral" and "*Warmer*" in all_text(sent["blocks"])
    assert not bot.fake.calls_to("chat.postMessage")


def test_a_channel_shared_since_the_answer_gets_refinements_privately(bot: Bot) -> None:
    blocks = answered(bot)
    bot.fake.shared_channels.add("CSUPPORT")
    bot.rt.channels = type(bot.rt.channels)()  # a fresh cache: sharing changed after the answer
    bot.send(click(load("block_actions", bot.fake), blocks, "draft_shorter"))
    told = bot.fake.wait_for("chat.postEphemeral")[0].args
    assert "Slack Connect" in all_text(told["blocks"])
    assert not bot.fake.calls_to("chat.postMessage")


def test_a_tampered_or_stale_button_gets_a_polite_note(bot: Bot) -> None:
    bot.send(load("block_actions", bot.fake))  # value "{}": not a draft state
    assert "no longer works" in bot.fake.wait_for("chat.postEphemeral")[0].args["text"]


def test_picking_a_candidate_answers_in_the_thread(bot: Bot) -> None:
    blocks = answered(bot, "how should I answer Jane about the late parcel?")
    assert "Which one do you mean?" in all_text(blocks)
    bot.send(click(load("block_actions", bot.fake), blocks, "pick_customer_0"))
    post = bot.fake.wait_for("chat.postMessage")[0].args
    assert post["thread_ts"] == MENTION_TS and "Jane Okafor" in all_text(post["blocks"])
    assert "Draft 1" in all_text(post["blocks"])


# -- the message shortcut ---------------------------------------------------------------


def shortcut(bot: Bot, text: str | None = None, user: str = "UCUSTOMER") -> dict[str, Any]:
    payload = load("message_action", bot.fake)
    payload["message"]["user"] = user
    if text:
        payload["message"]["text"] = text
    return payload


def external_customer(bot: Bot) -> None:
    profile = {"real_name": "Jane Okafor", "email": "jane.okafor@example.com"}
    bot.fake.users["UCUSTOMER"] = {"id": "UCUSTOMER", "team_id": "T0EXTERNAL", "profile": profile}


def test_the_shortcut_opens_a_private_modal_for_the_message_author(bot: Bot) -> None:
    external_customer(bot)
    bot.fake.shared_channels.add("CSHARED")
    response = bot.send(shortcut(bot))
    assert response.status == 200
    opened = bot.fake.calls_to("views.open")  # opened in the ack: a trigger_id lives 3 seconds
    assert len(opened) == 1 and opened[0].args["trigger_id"] == "5550004.1763800600.0a1b2c3d4e5f6a7b"
    external_id = opened[0].args["view"]["external_id"]

    update = bot.fake.wait_for("views.update")[0].args
    assert update["external_id"] == external_id
    text = all_text(update["view"]["blocks"])
    assert "Jane Okafor" in text and "Draft 1" in text
    assert json.loads(update["view"]["private_metadata"])["ch"] == "CSHARED"
    assert not bot.fake.calls_to("chat.postMessage") and not bot.fake.calls_to("chat.postEphemeral")


def test_buttons_in_the_modal_update_the_modal(bot: Bot) -> None:
    external_customer(bot)
    bot.send(shortcut(bot))
    view = bot.fake.wait_for("views.update")[0].args["view"]
    bot.fake.reset()
    template = load("block_actions", bot.fake)
    template["container"] = {"type": "view", "view_id": "V0SUGGEST01"}
    template["view"] = {**view, "id": "V0SUGGEST01", "hash": "1763800650.abc"}
    template.pop("message")
    bot.send(click(template, view["blocks"], "draft_formal"))
    update = bot.fake.wait_for("views.update")[0].args
    assert update["view_id"] == "V0SUGGEST01" and "*More formal*" in all_text(update["view"]["blocks"])
    text = all_text(update["view"]["blocks"])
    assert text.index("*More formal*") < text.index("Draft 1") and "Jane Okafor" in text  # the answer stays below

    bot.send(click(template, view["blocks"], "draft_helpful"))
    noted = bot.fake.wait_for("views.update", 2)[1].args["view"]["blocks"]
    assert "Thanks: noted as helpful." in all_text(noted)


def test_a_shortcut_on_a_message_naming_nobody_asks_who_then_answers(bot: Bot) -> None:
    bot.send(shortcut(bot, "Can you help with this? It stopped working yesterday.", user="USTAFF"))
    asked = bot.fake.wait_for("views.update")[0].args["view"]
    assert asked["callback_id"] == VIEW_FIND_CUSTOMER and asked["submit"]["text"] == "Find"

    submission = load("view_submission", bot.fake)
    submission["view"]["private_metadata"] = asked["private_metadata"]
    response = bot.send(submission)
    ack = json.loads(response.body)
    assert ack["response_action"] == "update"
    update = bot.fake.wait_for("views.update", 2)[1].args
    assert update["view_id"] == "V0SUGGEST01"
    assert "Tom Baker" in all_text(update["view"]["blocks"]) and "Draft 1" in all_text(update["view"]["blocks"])


def test_the_shortcut_answers_a_never_contact_customers_own_message(bot: Bot) -> None:
    # Robert (frequency: never) wrote to us: answering him is a reply, never "reaching out first".
    profile = {"real_name": "Robert Lindqvist", "email": "bob.lindqvist@example.org"}
    bot.fake.users["UROBERT"] = {"id": "UROBERT", "team_id": "T0EXTERNAL", "profile": profile}
    bot.send(shortcut(bot, "The last bag was ground too fine for my moka pot. Can you help?", user="UROBERT"))
    text = all_text(bot.fake.wait_for("views.update")[0].args["view"]["blocks"])
    assert "Robert Lindqvist" in text and "Draft 1" in text  # was: no drafts, "never reach out"


def test_log_as_sent_says_when_the_button_carried_only_the_start_of_a_long_draft(writing_bot: Bot) -> None:
    from bot.slack.payloads import DraftState

    bot = writing_bot
    state = DraftState(c="cus-0003", d="dlong", ch="email", q="q", t="Hi Tom, " + "All good here. " * 200)
    blocks = [
        {
            "type": "actions",
            "block_id": "draft_1",
            "elements": [{"type": "button", "action_id": "draft_log_sent", "value": state.encode()}],
        }
    ]
    assert json.loads(state.encode())["x"] is True
    bot.send(click(load("block_actions", bot.fake), blocks, "draft_log_sent"))
    bot.fake.wait_for("chat.postEphemeral")
    path = bot.rt.settings.knowledge_dir / "customers" / "tom-baker.md"
    logged = next(line for line in path.read_text(encoding="utf-8").splitlines() if "drafted with Rapport" in line)
    assert "Sent (drafted with Rapport): Hi Tom, All good here." in logged
    assert logged.endswith("[the start of a longer draft: Slack buttons carry 2,000 characters]")
