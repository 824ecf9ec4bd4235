"""When Slack refuses, limits or fails: nothing lost, nothing posted twice, and people told what happened.

The fake Web API answers in Slack's own shapes (429 + Retry-After + `ratelimited`, `ok: false` API
errors, 5xx); every request reaches the real app signed, as Slack sends it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.index.embedding import MiniLMEmbedding
from bot.slack.privacy import PERSON_UNKNOWN_REASON, UNKNOWN_REASON
from tests.fake_slack import BOT_USER_ID, Bot, running_bot, sample_index
from tests.slack_requests import all_text, load


@pytest.fixture(scope="module")
def index_dir(sample_copy: Path, tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding) -> Path:
    return sample_index(tmp_path_factory.mktemp("slack-fail") / "index", tmp_path_factory.getbasetemp(), embedder)


@pytest.fixture
def bot(sample_copy: Path, index_dir: Path, embedder: MiniLMEmbedding) -> Iterator[Bot]:
    with running_bot(sample_copy, index_dir, embedder) as b:
        yield b


def mention(text: str, n: int, channel: str = "CSUPPORT", **event: Any) -> dict[str, Any]:
    payload = load("app_mention", event_id=f"Ev0FAIL{n:05d}")
    ts = f"1763800{n:03d}.000200"
    payload["event"].update(text=f"<@{BOT_USER_ID}> {text}", channel=channel, ts=ts, event_ts=ts, **event)
    return payload


# -- rate limits and retries ---------------------------------------------------------------


def test_a_burst_in_one_channel_is_answered_in_full_once_each(bot: Bot) -> None:
    """Ten mentions at once in one channel: Slack posts about one message a second there, so most of the
    answers get a 429 with Retry-After at first. Every one must arrive, exactly once, with no apology."""
    bot.fake.limit("chat.postMessage", burst=3, every=0.5)
    questions = ["how should I answer Tom Baker about his grinder?", "what should I tell Margaret Hughes?"]
    for n in range(10):
        assert bot.send(mention(questions[n % 2], n)).status == 200
    posts = bot.fake.wait_for("chat.postMessage", 10, timeout=90, delivered=True)
    refused = [c for c in bot.fake.calls_to("chat.postMessage") if c.status == 429]
    assert refused, "the burst was never rate-limited: the test proves nothing"
    assert sorted(p.args["thread_ts"] for p in posts) == sorted(f"1763800{n:03d}.000200" for n in range(10))
    time.sleep(1.5)
    assert len(bot.fake.delivered("chat.postMessage")) == 10  # nothing posted twice
    assert not bot.fake.calls_to("chat.postEphemeral")  # nobody was told "something went wrong"


def test_a_server_error_is_retried_for_reads_but_a_post_is_never_repeated(bot: Bot) -> None:
    bot.fake.fail("conversations.info", status=503)
    bot.fake.fail("chat.postMessage", status=500)  # it may have been posted: posting again could duplicate it
    bot.send(mention("how should I answer Tom Baker?", 1))
    told = bot.fake.wait_for("chat.postEphemeral")[0].args["text"]
    assert "Slack didn't take my answer just now" in told and "Reference: `" in told
    info = bot.fake.calls_to("conversations.info")
    assert [c.status for c in info] == [503, 200]  # a read is safe to repeat: retried, and the thread answer allowed
    assert [c.status for c in bot.fake.calls_to("chat.postMessage")] == [500]


# -- honest errors ----------------------------------------------------------------------------


def test_not_in_channel_asks_for_an_invite_in_the_dm_when_the_channel_is_closed(bot: Bot) -> None:
    bot.fake.fail("chat.postMessage", error="not_in_channel")
    bot.fake.fail("chat.postEphemeral", error="not_in_channel")
    bot.send(mention("how should I answer Tom Baker?", 2, channel="CPRIVATE"))
    posts = bot.fake.wait_for("chat.postMessage", 2)
    dm = posts[1].args
    assert dm["channel"] == "USTAFF" and "`/invite @Rapport`" in dm["text"] and "<#CPRIVATE>" in dm["text"]
    assert "Reference" not in dm["text"]  # a thing the person can fix, not an incident


def test_a_failed_users_info_says_slack_did_not_answer_and_is_asked_again(bot: Bot) -> None:
    bot.fake.fail("users.info", status=200, error="internal_error")
    command = load("command_customer", bot.fake, text="Margaret Hughes")
    bot.send(command)
    told = bot.fake.wait_for("response_url")[0].args["text"]
    assert told == PERSON_UNKNOWN_REASON and "only helps people in this workspace" not in told
    # A minute later, run again (a new trigger, so not a replay): Slack answers, and nothing was remembered.
    bot.send({**command, "trigger_id": "5550002.1763800360.9a8b7c6d5e4f3a2b"})
    assert "Margaret Hughes" in all_text(bot.fake.wait_for("response_url", 2)[1].args["blocks"])


def test_a_failed_channel_check_answers_privately_saying_why_then_asks_again(bot: Bot) -> None:
    bot.fake.fail("conversations.info", status=200, error="internal_error")
    bot.send(mention("how should I answer Tom Baker?", 3))
    private = bot.fake.wait_for("chat.postEphemeral")[0].args
    assert UNKNOWN_REASON in all_text(private["blocks"]) and not bot.fake.calls_to("chat.postMessage")
    bot.send(mention("how should I answer Tom Baker?", 4))
    assert bot.fake.wait_for("chat.postMessage")[0].args["channel"] == "CSUPPORT"  # not cached for 60 s


def test_an_unreadable_thread_is_said_not_passed_off_as_an_unknown_customer(bot: Bot) -> None:
    bot.fake.fail("conversations.replies", status=200, error="internal_error")
    bot.send(mention("what should I reply?", 5, thread_ts="1763799000.000100"))
    text = all_text(bot.fake.wait_for("chat.postMessage")[0].args["blocks"])
    assert "couldn't read the earlier messages in this thread (Slack didn't answer)" in text


def test_a_failed_response_url_falls_back_to_an_ephemeral_message(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    bot.fake.hook_status = (404, "expired_url")
    bot.send(load("command_customer", bot.fake, text="Margaret Hughes"))
    private = bot.fake.wait_for("chat.postEphemeral")[0].args
    assert (private["channel"], private["user"]) == ("CSUPPORT", "USTAFF")
    assert "Margaret Hughes" in all_text(private["blocks"])
    assert any("response_url failed (404 expired_url)" in r.getMessage() for r in caplog.records)


def test_a_modal_that_cannot_open_still_acks_200_and_the_drafts_come_privately(bot: Bot) -> None:
    bot.fake.fail("views.open", error="expired_trigger_id")
    profile = {"real_name": "Jane Okafor", "email": "jane.okafor@example.com"}
    bot.fake.users["UCUSTOMER"] = {"id": "UCUSTOMER", "team_id": "T0EXTERNAL", "profile": profile}
    response = bot.send(load("message_action", bot.fake))
    assert response.status == 200
    sent = bot.fake.wait_for("response_url")[0].args
    text = all_text(sent["blocks"])
    assert "couldn't open the Suggest-a-reply window (Slack said: expired_trigger_id)" in text
    assert "Jane Okafor" in text and "Draft 1" in text and sent["response_type"] == "ephemeral"
    assert not bot.fake.calls_to("views.update")


def test_a_malformed_request_gets_200_and_a_reference_never_a_500(bot: Bot) -> None:
    broken = load("command_customer", bot.fake, text="")
    del broken["user_id"]  # the ack cannot parse it
    response = bot.send(broken)
    assert response.status == 200 and "Reference: `" in (response.body or "")
    interactive = load("message_action", bot.fake)
    del interactive["trigger_id"]
    response = bot.send(interactive)
    assert response.status == 200 and not json.loads(response.body or "{}")
