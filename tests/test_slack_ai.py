"""The AI-app surface: status while working, streamed drafts, the agent DM, follow-ups, one-click re-reading.

A fake drafter stands in for the model (the Drafter seam of bot/core/drafting.py): it reports its
progress the way the model adapter does, `partial` with the first draft so far, sentence by sentence.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.answer import Draft, Usage
from bot.core.drafting import NO_PROGRESS, DrafterResult, Progress
from bot.core.plan import DraftPlan
from bot.index.embedding import MiniLMEmbedding
from bot.services.drafts import compose, restyle
from tests.fake_slack import BOT_USER_ID, Bot, running_bot, sample_index
from tests.slack_requests import all_text, button_choice, eventually, load

MENTION_TS = "1763800000.000200"


class StreamingDrafter:
    """Drafts like the offline composer, reporting the first draft sentence by sentence as a model would."""

    def __init__(self) -> None:
        self.partials: list[str] = []

    def draft(self, plan: DraftPlan, progress: Progress = NO_PROGRESS) -> DrafterResult:
        drafts = compose(plan)
        progress.status("Writing the drafts…")
        sentences = drafts[0].text.split(". ")
        for n in range(1, len(sentences) + 1):
            so_far = ". ".join(sentences[:n])
            self.partials.append(so_far)
            progress.partial(so_far)
        progress.partial("Something else entirely")  # text that does not extend what was shown: not streamed
        return DrafterResult(drafts=drafts, usage=Usage(prompt_tokens=10, completion_tokens=5))

    def refine(self, plan: DraftPlan, draft: Draft, style: str) -> DrafterResult:
        return DrafterResult(drafts=[restyle(plan, draft, style)], usage=Usage())


@pytest.fixture(scope="module")
def index_dir(sample_copy: Path, tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding) -> Path:
    return sample_index(tmp_path_factory.mktemp("slack-ai") / "index", tmp_path_factory.getbasetemp(), embedder)


@pytest.fixture
def bot(sample_copy: Path, index_dir: Path, embedder: MiniLMEmbedding) -> Iterator[Bot]:
    with running_bot(sample_copy, index_dir, embedder) as b:
        yield b


@pytest.fixture
def model_bot(sample_copy: Path, index_dir: Path, embedder: MiniLMEmbedding) -> Iterator[Bot]:
    with running_bot(sample_copy, index_dir, embedder, drafter=StreamingDrafter(), openai_api_key="sk-test") as b:
        yield b


def mention(text: str, event_id: str, **event: Any) -> dict[str, Any]:
    payload = load("app_mention", event_id=event_id)
    payload["event"].update(text=f"<@{BOT_USER_ID}> {text}", **event)
    return payload


def test_with_a_model_the_first_draft_streams_then_becomes_the_answer_in_place(model_bot: Bot) -> None:
    bot = model_bot
    bot.send(load("app_mention"))
    update = bot.fake.wait_for("chat.update")[0].args
    start = bot.fake.calls_to("chat.startStream")[0]
    assert (start.args["channel"], start.args["thread_ts"]) == ("CSUPPORT", MENTION_TS)
    assert (start.args["recipient_user_id"], start.args["recipient_team_id"]) == ("USTAFF", "T0001")
    assert bot.fake.calls_to("chat.stopStream")
    streamed = {"text": bot.fake.streams[start.response["ts"]]}
    drafter = bot.rt.services.assistant.drafter
    assert isinstance(drafter, StreamingDrafter)
    assert "Writing a draft" in streamed["text"] and drafter.partials[-1][:40] in streamed["text"]
    assert "Something else entirely" not in streamed["text"]
    # The streamed message is turned into the checked answer, blocks and all: nothing posted twice.
    assert update["ts"] == start.response["ts"] and "Draft 1" in all_text(update["blocks"])
    assert "Worded by the language model" in all_text(update["blocks"])
    assert not bot.fake.calls_to("chat.postMessage")
    statuses = [c.args["status"] for c in bot.fake.calls_to("assistant.threads.setStatus")]
    assert statuses[:3] == ["Finding the customer…", "Reading Tom's history…", "Writing a draft for Tom…"]
    assert "Writing the drafts…" in statuses  # what the model side reports goes to the same status line


def test_a_private_answer_never_streams_nor_shows_a_status(model_bot: Bot) -> None:
    bot = model_bot
    bot.fake.shared_channels.add("CSHARED")
    bot.send(mention("how should I answer Tom Baker?", "Ev0AIPRIV001", channel="CSHARED"))
    assert "Draft 1" in all_text(bot.fake.wait_for("chat.postEphemeral")[0].args["blocks"])
    assert not bot.fake.calls_to("chat.startStream") and not bot.fake.calls_to("assistant.threads.setStatus")


def test_the_agent_dm_greets_and_suggests_who_is_waiting(bot: Bot) -> None:
    bot.send(load("assistant_thread_started"))
    prompts = bot.fake.wait_for("assistant.threads.setSuggestedPrompts")[0].args
    greeting = bot.fake.calls_to("chat.postMessage")[0].args
    assert (greeting["channel"], greeting["thread_ts"]) == ("D0RAPPORT", "1763800700.000100")
    assert (prompts["channel_id"], prompts["thread_ts"]) == ("D0RAPPORT", "1763800700.000100")
    assert 1 <= len(prompts["prompts"]) <= 4 and all(len(p["title"]) <= 40 for p in prompts["prompts"])
    customers = bot.rt.knowledge.snapshot().kb.customers.values()
    for prompt in prompts["prompts"]:  # every prompt names a real customer from the folder
        assert any(c.name in prompt["message"] for c in customers), prompt

    # The person picks a prompt: it arrives as a message in that thread, and is answered there.
    picked = load("message_im", event_id="Ev0AGENT00002")
    picked["event"].update(text=prompts["prompts"][0]["message"], thread_ts="1763800700.000100")
    bot.send(picked)
    answer = bot.fake.wait_for("chat.postMessage", 2)[1].args
    assert answer["thread_ts"] == "1763800700.000100" and "Draft 1" in all_text(answer["blocks"])
    status = bot.fake.calls_to("assistant.threads.setStatus")[0].args
    assert (status["channel_id"], status["thread_ts"]) == ("D0RAPPORT", "1763800700.000100")


def test_the_agent_dm_suggests_no_customers_to_someone_from_another_organisation(bot: Bot) -> None:
    bot.fake.users["UGUEST"] = {"id": "UGUEST", "team_id": "T0EXTERNAL", "real_name": "Guest", "profile": {}}
    payload = load("assistant_thread_started", event_id="Ev0AGENT00003")
    payload["event"]["assistant_thread"]["user_id"] = "UGUEST"
    bot.send(payload)
    told = bot.fake.wait_for("chat.postMessage")[0].args
    assert "only helps people in this workspace" in told["text"]
    assert not bot.fake.calls_to("assistant.threads.setSuggestedPrompts")


def posted_answer(bot: Bot) -> dict[str, Any]:
    bot.send(load("app_mention"))
    message = bot.fake.message(bot.fake.wait_for("chat.postMessage")[0])
    bot.fake.wait_for("reactions.remove")
    bot.fake.reset()
    return message


def answered_in_thread(bot: Bot) -> dict[str, Any]:
    bot.send(load("app_mention"))
    message = bot.fake.message(bot.fake.wait_for("chat.postMessage")[0])
    bot.fake.wait_for("reactions.remove")
    asked = load("app_mention")["event"]
    bot.fake.threads[MENTION_TS] = [{**asked, "type": "message"}, message]
    bot.fake.reset()
    return message


def test_make_it_shorter_in_the_thread_refines_the_last_draft(bot: Bot) -> None:
    first = answered_in_thread(bot)
    bot.send(mention("make it shorter please", "Ev0FOLLOW001", ts="1763800001.000300", thread_ts=MENTION_TS))
    post = bot.fake.wait_for("chat.postMessage")[0].args
    text = all_text(post["blocks"])
    assert post["thread_ts"] == MENTION_TS and "*Draft, shorter*" in text
    original = next(b for b in first["blocks"] if b.get("block_id", "").endswith(".t0"))["text"]["text"]
    assert original.split(",")[0] in text  # the same draft, redone: "Hi Tom" stays
    assert "Worth sharing" not in text  # a refinement is the draft alone


def test_a_follow_up_that_names_a_customer_is_a_new_question(bot: Bot) -> None:
    answered_in_thread(bot)
    question = "should I be more formal with Margaret Hughes?"
    bot.send(mention(question, "Ev0FOLLOW002", ts="1763800001.000400", thread_ts=MENTION_TS))
    text = all_text(bot.fake.wait_for("chat.postMessage")[0].args["blocks"])
    assert "Margaret Hughes" in text and "Draft, more formal" not in text


def test_a_follow_up_in_a_dm_without_threads_refines_the_last_draft_there(bot: Bot) -> None:
    bot.send(load("message_im"))
    earlier = bot.fake.message(bot.fake.wait_for("chat.postMessage")[0])
    bot.fake.threads["D0RAPPORT"] = [load("message_im")["event"], earlier]  # conversations.history of the DM
    bot.fake.reset()
    follow = load("message_im", event_id="Ev0DMFOLLOW1")
    follow["event"].update(text="warmer", ts="1763800101.000300")
    bot.send(follow)
    post = bot.fake.wait_for("chat.postMessage")[0].args
    assert "*Draft, warmer*" in all_text(post["blocks"]) and post["channel"] == "D0RAPPORT"
    assert bot.fake.calls_to("conversations.history")[0].args["channel"] == "D0RAPPORT"


def test_the_other_reading_is_one_click_and_replaces_the_answer_both_ways(bot: Bot) -> None:
    message = posted_answer(bot)
    footer = all_text([b for b in message["blocks"] if b["type"] == "context"])
    assert "Read as a reply to their message" in footer
    bot.send(button_choice(load("block_actions", bot.fake), copy.deepcopy(message), "intent_outreach"))
    update = bot.fake.wait_for("chat.update")[0].args
    text = all_text(update["blocks"])
    assert update["ts"] == message["ts"] and "Read as reaching out first" in text
    assert "Reply to their message instead" in text and "Reach out first instead" not in text
    assert not bot.fake.calls_to("chat.postMessage")
    eventually(lambda: bot.fake.calls_to("assistant.threads.setStatus")[-1].args["status"] == "")
    first = bot.fake.calls_to("assistant.threads.setStatus")[0].args["status"]
    assert first == "Reading it the other way…"  # and cleared after: an update in place is no new reply
    back = {**message, "blocks": update["blocks"]}
    bot.send(button_choice(load("block_actions", bot.fake), back, "intent_reply"))
    again = bot.fake.wait_for("chat.update", 2)[1].args
    assert "Read as a reply to their message: as staff asked" in all_text(again["blocks"])
    assert "Draft 1" in all_text(again["blocks"])


@pytest.mark.parametrize(
    ("text", "style"),
    [
        ("make it shorter", "shorter"),
        ("@Rapport can you make that more formal please", "formal"),
        ("a bit warmer?", "warmer"),
        ("try again", "regenerate"),
        ("shorter and warmer", "shorter"),
        ("He wrote again, what do I say?", None),  # "again" about the customer, not the draft
        ("what about a different approach to the refund?", None),
        ("they are short on stock", None),
        ("make it shorter " + "and mention the refund policy in detail with the dates " * 2, None),  # a new ask
    ],
)
def test_which_messages_ask_to_refine_a_draft(text: str, style: str | None) -> None:
    from bot.slack.followup import requested_style

    assert requested_style(text) == style
