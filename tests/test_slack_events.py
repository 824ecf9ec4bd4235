"""Events API through full signed requests: mentions, DMs, App Home, privacy, retries, signatures."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import BoltRequest

from bot.index.embedding import MiniLMEmbedding
from tests.fake_slack import BOT_TOKEN, BOT_USER_ID, Bot, running_bot, sample_index
from tests.slack_requests import all_text, dispatch, load, signed_request

MENTION_TS = "1763800000.000200"


@pytest.fixture(scope="module")
def index_dir(sample_copy: Path, tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding) -> Path:
    base = tmp_path_factory.getbasetemp()
    return sample_index(tmp_path_factory.mktemp("slack-events") / "index", base, embedder)


@pytest.fixture
def bot(sample_copy: Path, index_dir: Path, embedder: MiniLMEmbedding) -> Iterator[Bot]:
    with running_bot(sample_copy, index_dir, embedder) as b:
        yield b


def mention(text: str, channel: str = "CSUPPORT", event_id: str = "Ev0MENTION001", **event: Any) -> dict[str, Any]:
    payload = load("app_mention", event_id=event_id)
    payload["event"].update(text=f"<@{BOT_USER_ID}> {text}", channel=channel, **event)
    return payload


def test_mention_answers_in_the_thread_with_blocks_and_a_text_fallback(bot: Bot) -> None:
    started = time.monotonic()
    response = bot.send(load("app_mention"))
    assert response.status == 200
    assert time.monotonic() - started < 3  # Slack's limit; the latency itself is measured in bench/

    post = bot.fake.wait_for("chat.postMessage")[0]
    assert post.token == BOT_TOKEN
    assert post.args["channel"] == "CSUPPORT"
    assert post.args["thread_ts"] == MENTION_TS  # a top-level mention is answered in its own thread
    assert post.args["text"].startswith("Rapport: ") and "Tom Baker" in post.args["text"]
    blocks = post.args["blocks"]
    text = all_text(blocks)
    assert "*Tom Baker*" in text and "Draft 1" in text and "Sources:" in text
    # One primary action per draft; the refinements in an overflow menu; Slack's own feedback buttons.
    rows = [b for b in blocks if b["type"] == "actions" and b["block_id"].startswith("d.")]
    assert rows and all([e["type"] for e in row["elements"]] == ["button", "overflow"] for row in rows)
    assert all(row["elements"][0]["style"] == "primary" for row in rows)
    assert {o["text"]["text"] for o in rows[0]["elements"][1]["options"]} == {
        "Shorter",
        "More formal",
        "Warmer",
        "Regenerate",
    }
    feedback = [b for b in blocks if b["type"] == "context_actions"]
    assert len(feedback) == len(rows) and feedback[0]["elements"][0]["type"] == "feedback_buttons"
    # Ids and file paths only in small context lines, never in the body
    body = all_text([b for b in blocks if b["type"] == "section"])
    assert "cus-0003" not in body and "customers/" not in body
    footer = all_text([b for b in blocks if b["type"] == "context"])
    assert "`cus-0003`" in footer and "`customers/tom-baker.md`" in footer
    assert len(blocks) <= 50
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)
    reaction = bot.fake.calls_to("reactions.add")[0].args
    assert (reaction["name"], reaction["timestamp"]) == ("eyes", MENTION_TS)
    removed = bot.fake.wait_for("reactions.remove")[0]  # the 👀 goes once the answer is there
    assert (removed.args["name"], removed.args["timestamp"]) == ("eyes", MENTION_TS) and removed.at > post.at
    status = bot.fake.calls_to("assistant.threads.setStatus")
    assert [c.args["status"] for c in status][:2] == ["Finding the customer…", "Reading Tom's history…"]
    assert {(c.args["channel_id"], c.args["thread_ts"]) for c in status} == {("CSUPPORT", MENTION_TS)}
    assert not bot.fake.calls_to("chat.postEphemeral")
    assert not bot.fake.calls_to("chat.startStream")  # no model: nothing to stream


def test_mention_in_a_thread_reads_the_thread_to_find_the_customer(bot: Bot) -> None:
    root = "1763799000.000100"
    bot.fake.threads[root] = [
        {
            "type": "message",
            "user": "USTAFF",
            "ts": root,
            "text": "Email from <mailto:jane.okafor@example.com|"
            "jane.okafor@example.com>: my Kalita Wave parcel is late and I need it this weekend.",
        },
        {"type": "message", "user": BOT_USER_ID, "bot_id": "BBOT", "ts": "1763799001.000100", "text": "Tom Baker"},
        {"type": "message", "user": "USTAFF", "ts": MENTION_TS, "text": f"<@{BOT_USER_ID}> what should I reply?"},
    ]
    bot.send(mention("what should I reply?", thread_ts=root))

    post = bot.fake.wait_for("chat.postMessage")[0]
    replies = bot.fake.calls_to("conversations.replies")[0].args
    assert (replies["channel"], replies["ts"]) == ("CSUPPORT", root)
    assert post.args["thread_ts"] == root
    assert "Jane Okafor" in all_text(post.args["blocks"])


def test_another_apps_post_in_the_thread_names_the_customer(bot: Bot) -> None:
    root = "1763799100.000100"
    bot.fake.threads[root] = [
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "BHELPDESK",
            "ts": root,
            "text": "New ticket from <mailto:jane.okafor@example.com|jane.okafor@example.com>: parcel is late.",
        },
        {"type": "message", "user": "USTAFF", "ts": MENTION_TS, "text": f"<@{BOT_USER_ID}> what should I reply?"},
    ]
    bot.send(mention("what should I reply?", thread_ts=root))
    post = bot.fake.wait_for("chat.postMessage")[0]
    assert "Jane Okafor" in all_text(post.args["blocks"])


def test_a_direct_message_with_a_file_is_answered(bot: Bot) -> None:
    payload = load("message_im", event_id="Ev0DMFILE001")
    payload["event"]["subtype"] = "file_share"
    bot.send(payload)
    post = bot.fake.wait_for("chat.postMessage")[0].args
    assert post["channel"] == "D0RAPPORT" and "Margaret Hughes" in all_text(post["blocks"])


def test_a_direct_message_is_answered_in_the_dm(bot: Bot) -> None:
    bot.send(load("message_im"))
    post = bot.fake.wait_for("chat.postMessage")[0].args
    assert post["channel"] == "D0RAPPORT"
    assert "thread_ts" not in post  # answered where the question was, not in a thread
    assert "Margaret Hughes" in all_text(post["blocks"])


def test_the_bot_ignores_its_own_messages_and_edits(bot: Bot) -> None:
    own = load("message_im", event_id="Ev0DMOWN0001")
    own["event"].update(user=BOT_USER_ID, bot_id="BBOT")
    edit = load("message_im", event_id="Ev0DMEDIT001")
    edit["event"]["subtype"] = "message_changed"
    assert bot.send(own).status == 200
    assert bot.send(edit).status == 200
    bot.send(load("message_im", event_id="Ev0DMREAL001"))
    bot.fake.wait_for("chat.postMessage")
    time.sleep(0.5)
    assert len(bot.fake.calls_to("chat.postMessage")) == 1


def test_an_empty_mention_gets_the_how_to(bot: Bot) -> None:
    bot.send(mention(""))
    post = bot.fake.wait_for("chat.postMessage")[0].args
    assert "How to use Rapport" in all_text(post["blocks"])


def test_slack_connect_channel_gets_an_ephemeral_answer_and_no_post(bot: Bot) -> None:
    bot.fake.shared_channels.add("CSHARED")
    bot.send(mention("how should I answer Tom Baker about the grind size?", channel="CSHARED"))

    ephemeral = bot.fake.wait_for("chat.postEphemeral")[0].args
    assert (ephemeral["channel"], ephemeral["user"]) == ("CSHARED", "USTAFF")
    text = all_text(ephemeral["blocks"])
    assert "Slack Connect" in text and "Tom Baker" in text
    time.sleep(0.3)
    assert not bot.fake.calls_to("chat.postMessage")
    assert not bot.fake.calls_to("reactions.add")  # nothing visible to the other organisation


def test_channels_outside_the_allow_list_get_ephemeral_answers(
    sample_copy: Path, index_dir: Path, embedder: MiniLMEmbedding
) -> None:
    with running_bot(sample_copy, index_dir, embedder, rapport_allowed_channels=["CALLOWED"]) as b:
        b.send(mention("how should I answer Tom Baker?", channel="CSUPPORT", event_id="Ev0ALLOW0001"))
        ephemeral = b.fake.wait_for("chat.postEphemeral")[0].args
        assert "isn't set up to post in this channel" in all_text(ephemeral["blocks"])
        b.send(mention("how should I answer Tom Baker?", channel="CALLOWED", event_id="Ev0ALLOW0002"))
        assert b.fake.wait_for("chat.postMessage")[0].args["channel"] == "CALLOWED"
        assert len(b.fake.calls_to("chat.postMessage")) == 1


def test_people_from_another_organisation_get_no_customer_data(bot: Bot) -> None:
    bot.fake.users["UGUEST"] = {"id": "UGUEST", "team_id": "T0EXTERNAL", "real_name": "Guest", "profile": {}}
    bot.send(mention("tell me about Margaret Hughes", user="UGUEST", user_team="T0EXTERNAL"))
    told = bot.fake.wait_for("chat.postEphemeral")[0].args
    assert "only helps people in this workspace" in told["text"]
    assert "blocks" not in told and "Margaret" not in told["text"]
    assert not bot.fake.calls_to("chat.postMessage")


def test_a_retried_event_is_answered_once(bot: Bot) -> None:
    first = bot.send(load("app_mention"))
    retry = bot.send(load("app_mention"), extra={"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"})
    again = bot.send(load("app_mention"), extra={"x-slack-retry-num": "2", "x-slack-retry-reason": "http_timeout"})
    assert (first.status, retry.status, again.status) == (200, 200, 200)
    bot.fake.wait_for("chat.postMessage")
    time.sleep(1)
    assert len(bot.fake.calls_to("chat.postMessage")) == 1
    assert len(bot.fake.calls_to("reactions.add")) == 1


def test_a_bad_signature_is_refused(bot: Bot) -> None:
    payload = load("app_mention", event_id="Ev0BADSIG001")
    body, headers = signed_request(payload)
    headers["x-slack-signature"] = "v0=" + "0" * 64
    response = bot.app.dispatch(BoltRequest(body=body, headers={k: [v] for k, v in headers.items()}))
    assert response.status == 401
    time.sleep(0.3)
    assert bot.fake.methods() == []


def test_a_stale_timestamp_is_refused(bot: Bot) -> None:
    stale = int(time.time()) - 10 * 60  # Slack's rule: older than five minutes is a replay
    response = dispatch(bot.app, load("app_mention", event_id="Ev0STALE0001"), timestamp=stale)
    assert response.status == 401
    time.sleep(0.3)
    assert bot.fake.methods() == []


def home(user: str) -> dict[str, Any]:
    payload = load("app_home_opened", event_id=f"Ev0HOME{user}")
    payload["event"]["user"] = user
    return payload


def test_app_home_shows_a_how_to_to_everyone(bot: Bot) -> None:
    bot.send(home("USTAFF"))
    published = bot.fake.wait_for("views.publish")[0].args
    assert published["user_id"] == "USTAFF"
    text = all_text(published["view"]["blocks"])
    assert "How to use Rapport" in text and "/customer" in text
    assert "index status" not in text


def test_app_home_shows_index_status_to_admins(bot: Bot) -> None:
    bot.send(home("UADMIN"))
    view = bot.fake.wait_for("views.publish")[0].args["view"]
    text = all_text(view["blocks"])
    assert view["type"] == "home"
    assert "Admin: index status" in text and "18 customers" in text and "Last sync" in text
    assert "Draft acceptance" in text


def test_errors_reach_the_user_as_a_reference_and_the_log_as_a_traceback(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    bot.fake.errors["chat.postMessage"] = "invalid_blocks"  # nothing a person can act on: a reference
    with caplog.at_level(logging.DEBUG):
        bot.send(mention("how should I answer Tom Baker?", event_id="Ev0ERROR0001"))
        told = bot.fake.wait_for("chat.postEphemeral")[0].args
    assert "Reference: `" in told["text"]
    assert "invalid_blocks" not in told["text"]  # never str(exc) to a person
    failures = [r for r in caplog.records if "mention failed [ref" in r.getMessage()]
    assert failures and failures[0].exc_info is not None
    ref = told["text"].split("Reference: `")[1].split("`")[0]
    assert f"[ref {ref}]" in failures[0].getMessage() and "slack_error=invalid_blocks" in failures[0].getMessage()
    assert BOT_TOKEN not in caplog.text
    bot.fake.wait_for("reactions.remove")  # the 👀 goes when the answer failed too
    cleared = bot.fake.wait_for("assistant.threads.setStatus", 3)[-1].args
    assert cleared["status"] == ""  # nothing was posted in the thread, so the status is cleared
