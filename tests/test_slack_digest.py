"""Who needs us, in Slack, through signed requests and the Web API calls the fake Slack records:
App Home's "This week", `/rapport digest`, its buttons (the ask flow, perk given, the chart to the DM)
and the weekly post to RAPPORT_DIGEST_CHANNEL (refused for a Slack Connect channel). The sample folder,
today pinned to 2026-11-22; expectations from tests/portfolio_oracle.py's reading of the rules."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import logging
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from slack_sdk import WebClient

from bot.index.embedding import MiniLMEmbedding
from bot.slack.digest_blocks import ACTION_DIGEST_ASK, ACTION_DIGEST_CHART, ACTION_DIGEST_PERK
from bot.slack.weekly import WeeklyDigest, next_slot
from tests.conftest import SAMPLE, TODAY
from tests.fake_slack import BOT_TOKEN, Bot, running_bot, sample_index
from tests.portfolio_oracle import check_no_private, expect, load_customers
from tests.slack_requests import all_text, button_value, click, load

STAFF_CHANNEL = "CSTAFF"
MONDAY_9 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Europe/London"))


@pytest.fixture(scope="module")
def index_dir(sample_copy: Path, tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding) -> Path:
    return sample_index(tmp_path_factory.mktemp("slack-digest") / "index", tmp_path_factory.getbasetemp(), embedder)


@pytest.fixture
def bot(sample_copy: Path, index_dir: Path, embedder: MiniLMEmbedding) -> Iterator[Bot]:
    with running_bot(sample_copy, index_dir, embedder, rapport_digest_channel=STAFF_CHANNEL) as b:
        yield b


def due_this_week() -> list[str]:
    """Who the rules put in this week's digest, unanswered messages first, oldest first."""
    found = [expect(c, TODAY, 7) for c in load_customers(SAMPLE).values()]
    unanswered = sorted((e for e in found if e.unanswered_on), key=lambda e: (e.unanswered_on, e.id))
    return [e.id for e in unanswered] + [e.id for e in found if e.appears and not e.unanswered_on]


def ask_buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        json.loads(e["value"])
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ACTION_DIGEST_ASK
    ]


def names_of(ids: list[str]) -> dict[str, str]:
    customers = load_customers(SAMPLE)
    return {cid: customers[cid].front["name"] for cid in ids}


def home(user: str) -> dict[str, Any]:
    payload = load("app_home_opened", event_id=f"Ev0WEEK{user}")
    payload["event"]["user"] = user
    return payload


def test_app_home_shows_this_week_for_the_person_with_a_button_per_customer(bot: Bot) -> None:
    bot.send(home("USTAFF"))
    published = bot.fake.wait_for("views.publish")[0].args
    assert published["user_id"] == "USTAFF" and published["view"]["type"] == "home"
    blocks = published["view"]["blocks"]
    text = all_text(blocks)
    assert "This week" in text and "How to use Rapport" in text  # the how-to stays below
    assert len(blocks) <= 100
    expected = due_this_week()
    buttons = ask_buttons(blocks)
    assert {b["c"] for b in buttons} == set(expected), "everyone due this week, each with a button"
    for name in names_of(expected).values():
        assert name in text, f"{name} is due this week"
    # The first unanswered message is answered, never reached out to.
    first = next(b for b in buttons if b["c"] == expected[0])
    assert first["i"] == "reply"
    check_no_private(json.dumps(blocks), SAMPLE)
    # Sam wrote our latest message to some of these customers: theirs come first, marked.
    marks = [
        "you last wrote to them" in b["text"]["text"]
        for b in blocks
        if b["type"] == "section" and "due 20" in b["text"].get("text", "")
    ]
    assert any(marks) and marks == sorted(marks, reverse=True)


def test_the_digest_button_on_app_home_opens_the_ask_flow_for_that_customer(bot: Bot) -> None:
    bot.send(home("USTAFF"))
    view = bot.fake.wait_for("views.publish")[0].args["view"]
    bot.fake.reset()
    template = load("block_actions", bot.fake)
    template["container"] = {"type": "view", "view_id": "V0HOME0001"}
    template["view"] = {**view, "id": "V0HOME0001", "hash": "1763800650.abc"}
    template.pop("message")
    buttons = ask_buttons(view["blocks"])
    target = next(i for i, b in enumerate(buttons) if b["i"] == "outreach")
    cid = buttons[target]["c"]
    response = bot.send(click(template, view["blocks"], ACTION_DIGEST_ASK, index=target))
    assert response.status == 200
    opened = bot.fake.calls_to("views.open")  # in the ack: the trigger_id lives 3 seconds
    assert len(opened) == 1 and opened[0].args["trigger_id"] == template["trigger_id"]
    update = bot.fake.wait_for("views.update")[0].args
    assert update["external_id"] == opened[0].args["view"]["external_id"]
    text = all_text(update["view"]["blocks"])
    assert names_of([cid])[cid] in text and "Draft 1" in text
    assert not bot.fake.calls_to("chat.postMessage")  # private: only the modal


def command(bot: Bot, text: str, user: str = "USTAFF") -> dict[str, Any]:
    return load("command_rapport", bot.fake, text=text, user_id=user)


def test_rapport_digest_is_for_everyone_and_only_the_asker_sees_it(bot: Bot) -> None:
    response = bot.send(command(bot, "digest"))
    assert response.status == 200
    sent = bot.fake.wait_for("response_url")[0].args
    assert sent["response_type"] == "ephemeral"
    blocks = sent["blocks"]
    assert [b["c"] for b in ask_buttons(blocks)][:1] == due_this_week()[:1]
    assert {b["c"] for b in ask_buttons(blocks)} == set(due_this_week())
    assert not bot.fake.calls_to("chat.postMessage")
    # Its button: the answer for that customer, privately through the same response_url.
    bot.fake.reset()
    template = load("block_actions", bot.fake)
    template["container"] = {"type": "message", "is_ephemeral": True, "channel_id": "CSUPPORT", "message_ts": "1.2"}
    template.pop("message")
    bot.send(click(template, blocks, ACTION_DIGEST_ASK, index=0))
    answer = bot.fake.wait_for("response_url")[-1].args
    cid = due_this_week()[0]
    assert names_of([cid])[cid] in all_text(answer.get("blocks") or []) + answer.get("text", "")
    assert not bot.fake.calls_to("chat.postMessage")


def test_rapport_digest_with_a_bad_word_says_how_to_use_it(bot: Bot) -> None:
    response = bot.send(command(bot, "digest soon"))
    assert "Usage" in (response.body or "")
    assert bot.fake.methods() == []


def uploaded_png(bot: Bot, user: str) -> Image.Image:
    """The chart went where files_upload_v2 sends it: a URL, the bytes, then shared to the DM."""
    done = bot.fake.wait_for("files.completeUploadExternal")[0].args
    opened = bot.fake.calls_to("conversations.open")[0].args
    assert opened["users"] == user
    dm = "D" + user.removeprefix("U")
    assert done["channel_id"] == dm
    (meta,) = json.loads(done["files"])
    asked = bot.fake.calls_to("files.getUploadURLExternal")[0].args
    data = bot.fake.uploads[meta["id"]]
    assert asked["filename"].endswith(".png") and int(asked["length"]) == len(data)
    assert not bot.fake.calls_to("chat.postMessage")  # only in the DM, as a file
    image = Image.open(io.BytesIO(data))
    image.verify()
    return Image.open(io.BytesIO(data))


def test_rapport_digest_chart_uploads_the_picture_to_the_askers_dm(bot: Bot) -> None:
    bot.send(command(bot, "digest chart"))
    image = uploaded_png(bot, "USTAFF")
    assert image.format == "PNG" and image.size[0] >= 600 and image.size[1] >= 18 * 25
    told = [c.args for c in bot.fake.wait_for("response_url", 2)]  # the digest, then where the chart went
    assert told[0]["response_type"] == "ephemeral" and "DM" in told[1]["text"]


def test_the_chart_button_on_app_home_sends_the_picture_to_the_dm(bot: Bot) -> None:
    bot.send(home("USTAFF"))
    view = bot.fake.wait_for("views.publish")[0].args["view"]
    bot.fake.reset()
    template = load("block_actions", bot.fake)
    template["container"] = {"type": "view", "view_id": "V0HOME0001"}
    template["view"] = {**view, "id": "V0HOME0001"}
    template.pop("message")
    bot.send(click(template, view["blocks"], ACTION_DIGEST_CHART))
    assert uploaded_png(bot, "USTAFF").format == "PNG"


def test_perk_given_is_logged_as_history_and_not_suggested_again(
    tmp_path: Path, index_dir: Path, embedder: MiniLMEmbedding
) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(SAMPLE, knowledge)
    shutil.copytree(index_dir, tmp_path / "index")
    with running_bot(knowledge, tmp_path / "index", embedder) as b:
        b.send(load("command_rapport", b.fake, text="digest 60", user_id="USTAFF"))
        blocks = b.fake.wait_for("response_url")[0].args["blocks"]
        _, value = button_value(blocks, ACTION_DIGEST_PERK)
        state = json.loads(value)
        path = next(p for p in knowledge.glob("customers/*.md") if f"id: {state['c']}\n" in p.read_text())
        before = path.read_text()
        b.fake.reset()
        template = load("block_actions", b.fake)
        template["container"] = {"type": "message", "is_ephemeral": True, "channel_id": "CSUPPORT", "message_ts": "1.2"}
        template.pop("message")
        payload = click(template, blocks, ACTION_DIGEST_PERK)
        b.send(payload)
        told = b.fake.wait_for("response_url")[0].args["text"]
        assert "Logged" in told and state["p"] in told
        (added,) = [line for line in path.read_text().splitlines() if line not in before.splitlines()]
        assert added.startswith(f"- {TODAY.isoformat()} ") and " out " in added and state["p"] in added
        assert "Sam Lee, USTAFF" in added  # who gave it, as "Log as sent" records it
        # A double click logs it once. A second click is a second payload (its own action_ts and trigger);
        # the same bytes again would be a replay, acked and dropped by the dedup middleware.
        second = copy.deepcopy(payload)
        second["trigger_id"] = f"{payload.get('trigger_id', 't')}-2"
        second["actions"][0]["action_ts"] = f"{float(payload['actions'][0].get('action_ts', '1')) + 0.4:.6f}"
        b.send(second)
        assert "already" in b.fake.wait_for("response_url", 2)[1].args["text"]
        assert path.read_text().count(state["p"]) == before.count(state["p"]) + 1
        # The next digest does not offer the same perk to them (the interval is months).
        b.fake.reset()
        # Another run of the command (its own trigger): the same bytes within a second would be a replay.
        b.send(load("command_rapport", b.fake, text="digest 60", user_id="USTAFF", trigger_id="13345224609.again"))
        again = b.fake.wait_for("response_url")[0].args["blocks"]
        perks = [
            json.loads(e["value"])
            for blk in again
            if blk["type"] == "actions"
            for e in blk["elements"]
            if e["action_id"] == ACTION_DIGEST_PERK
        ]
        assert {"c": state["c"], "p": state["p"]} not in perks


# -- the weekly post --------------------------------------------------------------------


def test_next_slot_is_the_coming_weekday_at_the_time() -> None:
    at = dt.time(9, 0)
    sunday = dt.datetime(2026, 11, 22, 18, 0, tzinfo=ZoneInfo("Europe/London"))
    assert next_slot(sunday, "mon", at) == MONDAY_9
    assert next_slot(MONDAY_9, "mon", at) == MONDAY_9 + dt.timedelta(days=7)  # strictly after
    assert next_slot(MONDAY_9 - dt.timedelta(seconds=1), "mon", at) == MONDAY_9
    assert next_slot(MONDAY_9, "fri", dt.time(16, 30)).isoformat() == "2026-11-27T16:30:00+00:00"


def client_for(bot: Bot) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=bot.fake.api_url)


def test_the_weekly_job_posts_the_digest_once_per_slot(bot: Bot) -> None:
    weekly = WeeklyDigest(bot.rt, client_for(bot), now=lambda: MONDAY_9)
    assert weekly.post(MONDAY_9)
    post = bot.fake.wait_for("chat.postMessage")[0].args
    assert post["channel"] == STAFF_CHANNEL and post["text"].startswith("Rapport:")
    assert [b["c"] for b in ask_buttons(post["blocks"])][:1] == due_this_week()[:1]
    assert {b["c"] for b in ask_buttons(post["blocks"])} == set(due_this_week())
    check_no_private(json.dumps(post["blocks"]), SAMPLE)
    info = bot.fake.calls_to("conversations.info")
    assert info and info[0].args["channel"] == STAFF_CHANNEL  # the channel was checked first
    assert not weekly.post(MONDAY_9)  # the same slot again: not posted twice
    assert len(bot.fake.calls_to("chat.postMessage")) == 1


def test_the_weekly_job_refuses_a_channel_shared_with_another_organisation(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    bot.fake.shared_channels.add(STAFF_CHANNEL)
    weekly = WeeklyDigest(bot.rt, client_for(bot), now=lambda: MONDAY_9)
    with caplog.at_level(logging.WARNING, logger="bot.slack.weekly"):
        assert not weekly.post(MONDAY_9)
    assert not bot.fake.calls_to("chat.postMessage")
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert refused and STAFF_CHANNEL in refused[0] and "organisation" in refused[0].lower()


def test_the_weekly_thread_waits_for_the_slot_on_its_clock(bot: Bot) -> None:
    clock = [MONDAY_9 - dt.timedelta(seconds=1)]
    lock = threading.Lock()

    def now() -> dt.datetime:
        with lock:
            current = clock[0]
            clock[0] = current + dt.timedelta(seconds=1)  # each look at the clock: a second later
            return current

    weekly = WeeklyDigest(bot.rt, client_for(bot), now=now).start()
    try:
        post = bot.fake.wait_for("chat.postMessage", timeout=30)[0].args
    finally:
        weekly.stop()
    assert post["channel"] == STAFF_CHANNEL
    assert weekly.posted == [MONDAY_9.date().isoformat()]
