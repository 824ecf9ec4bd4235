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
from tests.fake_slack import BOT_USER_ID, Bot, running_bot, sample_index
from tests.slack_requests import all_text, button_choice, click, eventually, feedback_choice, load, menu_choice

MENTION_TS = "1763800000.000200"


@pytest.fixture(scope="module")
def index_dir(sample_copy: Path, tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding) -> Path:
    base = tmp_path_factory.getbasetemp()
    return sample_index(tmp_path_factory.mktemp("slack-interactivity") / "index", base, embedder)


@pytest.fixture
def bot(sample_copy: Path, index_dir: Path, embedder: MiniLMEmbedding) -> Iterator[Bot]:
    with running_bot(sample_copy, index_dir, embedder) as b:
        yield b


def posted(bot: Bot, text: str | None = None) -> dict[str, Any]:
    """Mention the bot (Tom Baker's warranty question by default); the message it posted."""
    payload = load("app_mention")
    if text:
        payload["event"]["text"] = f"<@{BOT_USER_ID}> {text}"
    bot.send(payload)
    message = bot.fake.message(bot.fake.wait_for("chat.postMessage")[0])
    bot.fake.wait_for("reactions.remove")
    bot.fake.reset()
    return message


def answered(bot: Bot, text: str | None = None) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = posted(bot, text)["blocks"]
    return blocks


def draft_parts(blocks: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each draft's blocks, by draft id (block ids `d.<draft>.<part>`), in order."""
    parts: dict[str, list[dict[str, Any]]] = {}
    for b in blocks:
        if b.get("block_id", "").startswith("d."):
            parts.setdefault(b["block_id"].split(".")[1], []).append(b)
    return parts


@pytest.mark.parametrize(
    ("label", "expect"),
    [("Shorter", "Hi Tom"), ("More formal", "Dear Tom"), ("Warmer", "Hi Tom"), ("Regenerate", "Tom")],
)
def test_the_draft_menu_refines_the_draft_in_place(bot: Bot, label: str, expect: str) -> None:
    message = posted(bot)
    before = draft_parts(message["blocks"])
    first, *others = before
    bot.send(menu_choice(load("block_actions", bot.fake), message, label, index=0))
    update = bot.fake.wait_for("chat.update")[0].args
    assert (update["channel"], update["ts"]) == ("CSUPPORT", message["ts"])  # the same message, changed in place
    assert not bot.fake.calls_to("chat.postMessage") and not bot.fake.calls_to("chat.postEphemeral")
    after = draft_parts(update["blocks"])
    assert first not in after and len(after) == len(before)
    new = next(iter(after))
    refined = all_text(after[new])
    done = {"Shorter": "shorter", "More formal": "more formal", "Warmer": "warmer", "Regenerate": "regenerated"}
    assert f"*Draft, {done[label]}*" in refined and expect in refined
    assert all(after[d] == before[d] for d in others)  # the other drafts are untouched
    rest = [b for b in update["blocks"] if not b.get("block_id", "").startswith("d.")]
    assert rest == [b for b in message["blocks"] if not b.get("block_id", "").startswith("d.")]
    assert next(iter(after)) == new  # where the old draft was, not appended below the answer
    eventually(lambda: any(e.kind == "shown" and e.draft == new for e in bot.rt.feedback.events()))


def test_a_refinement_on_an_ephemeral_answer_comes_as_a_new_private_message(bot: Bot) -> None:
    bot.fake.shared_channels.add("CSHARED")
    payload = load("app_mention", event_id="Ev0EPHEM0001")
    payload["event"]["channel"] = "CSHARED"
    bot.send(payload)
    blocks = bot.fake.wait_for("chat.postEphemeral")[0].args["blocks"]
    row = next(b for b in blocks if b["type"] == "actions" and b["block_id"].startswith("d."))
    # Slack sends no message back for clicks on an ephemeral message: the refinements are buttons carrying the draft
    assert [e["action_id"] for e in row["elements"]] == [
        "draft_log_sent",
        "draft_shorter",
        "draft_formal",
        "draft_warmer",
        "draft_regenerate",
    ]
    bot.fake.reset()
    template = load("block_actions", bot.fake)
    template["container"] = {"type": "message", "message_ts": "1763800000.000900", "is_ephemeral": True}
    template["container"]["channel_id"] = "CSHARED"
    template.pop("message")
    bot.send(click(template, blocks, "draft_formal"))
    sent = bot.fake.wait_for("response_url")[0].args
    assert sent["response_type"] == "ephemeral" and sent["replace_original"] is False
    assert "Dear Tom" in all_text(sent["blocks"])
    assert not bot.fake.calls_to("chat.postMessage") and not bot.fake.calls_to("chat.update")


@pytest.fixture
def writing_bot(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding) -> Iterator[Bot]:
    """A bot on its own copy: a logged note changes what later answers say (Tom becomes "just contacted")."""
    knowledge = tmp_path / "knowledge"
    shutil.copytree(SAMPLE, knowledge)
    index = sample_index(tmp_path / "index", tmp_path_factory.getbasetemp(), embedder)
    with running_bot(knowledge, index, embedder) as b:
        yield b


def test_log_as_sent_appends_an_out_entry_once_and_says_so_in_place(writing_bot: Bot) -> None:
    bot = writing_bot
    path = bot.rt.settings.knowledge_dir / "customers" / "tom-baker.md"
    before = path.read_text(encoding="utf-8")
    message = posted(bot)
    payload = button_choice(load("block_actions", bot.fake), message, "draft_log_sent")
    bot.send(payload)

    update = bot.fake.wait_for("chat.update")[0].args
    assert update["ts"] == message["ts"]
    first = next(iter(draft_parts(message["blocks"])))
    parts = [b for b in update["blocks"] if b.get("block_id", "").startswith(f"d.{first}.")]
    assert [b["block_id"].split(".")[2] for b in parts][-2:] == ["sent", "src"]  # buttons gone, sources kept
    line = all_text(parts)
    channel = json.loads(payload["actions"][0]["value"]).get("ch", "email")  # the draft's channel (email: the default)
    how = {"email": "email", "phone": "phone call", "sms": "text message"}[channel]
    assert f"Logged as sent by {how} by Sam Lee in Tom Baker's history (`customers/tom-baker.md`, line" in line
    assert len(draft_parts(update["blocks"])) == len(draft_parts(message["blocks"]))  # other drafts untouched
    assert not bot.fake.calls_to("chat.postEphemeral")
    added = [line for line in path.read_text(encoding="utf-8").splitlines() if line not in before.splitlines()]
    assert len(added) == 1
    assert added[0].startswith(f"- 2026-11-22 {channel} out (Sam Lee, USTAFF): Sent (drafted with Rapport): Hi Tom")
    latest = bot.rt.knowledge.customer("cus-0003").history[-1]
    assert (latest.direction, latest.author) == ("out", "Sam Lee, USTAFF")
    assert [e.kind for e in bot.rt.feedback.events()].count("sent") >= 1

    bot.send(payload)  # a double click
    assert "already logged" in bot.fake.wait_for("chat.postEphemeral")[0].args["text"]
    assert path.read_text(encoding="utf-8").count("Sent (drafted with Rapport)") == 1


def test_log_as_sent_on_an_ephemeral_answer_confirms_privately_with_the_name_escaped(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding
) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(SAMPLE, knowledge)
    tom = knowledge / "customers" / "tom-baker.md"
    tom.write_text(tom.read_text(encoding="utf-8").replace("name: Tom Baker", "name: Tom <!channel> Baker"), "utf-8")
    index = tmp_path / "index"
    with running_bot(knowledge, index, embedder) as bot:
        bot.rt.knowledge.sync()
        from bot.slack.payloads import DraftState

        state = DraftState(c="cus-0003", d="deph", ch="email", q="q", t="Hi Tom, thanks.")
        blocks = [
            {
                "type": "actions",
                "block_id": "d.deph.act",
                "elements": [{"type": "button", "action_id": "draft_log_sent", "value": state.encode()}],
            }
        ]
        template = load("block_actions", bot.fake)
        template["container"] = {"type": "message", "message_ts": "1.2", "is_ephemeral": True, "channel_id": "CSUP"}
        template.pop("message")
        bot.send(click(template, blocks, "draft_log_sent"))
        told = bot.fake.wait_for("response_url")[0].args["text"]
    assert "Logged as sent by email in Tom &lt;!channel&gt; Baker's history" in told
    assert "<!channel>" not in told


def test_slacks_feedback_buttons_feed_the_acceptance_rate_without_a_thanks_message(bot: Bot) -> None:
    start = bot.rt.feedback.acceptance()
    message = posted(bot)
    assert len(draft_parts(message["blocks"])) >= 2
    bot.send(feedback_choice(load("block_actions", bot.fake), message, positive=True, index=0))
    bot.send(feedback_choice(load("block_actions", bot.fake), message, positive=False, index=1))
    eventually(lambda: bot.rt.feedback.acceptance().not_helpful > start.not_helpful)
    eventually(lambda: bot.rt.feedback.acceptance().helpful > start.helpful)
    now = bot.rt.feedback.acceptance()
    assert (now.shown - start.shown, now.helpful - start.helpful, now.not_helpful - start.not_helpful) == (2, 1, 1)
    assert bot.fake.methods() == []  # Slack's buttons show the choice themselves: no "Thanks" message


def test_old_style_buttons_still_work(bot: Bot) -> None:
    """Answers posted before the menu carried Shorter/Helpful buttons: a click on them still does its job."""
    from bot.slack.payloads import DraftState

    state = DraftState(c="cus-0003", d="dold", ch="email", q="warranty?", t="Hi Tom, your grinder is covered.")
    blocks = [
        {
            "type": "actions",
            "block_id": "draft_dold",
            "elements": [
                {"type": "button", "action_id": a, "value": state.encode(), "text": {"type": "plain_text", "text": a}}
                for a in ("draft_shorter", "draft_helpful")
            ],
        }
    ]
    bot.send(click(load("block_actions", bot.fake), blocks, "draft_helpful"))
    assert bot.fake.wait_for("chat.postEphemeral")[0].args["text"] == "Thanks: noted as helpful."
    bot.send(click(load("block_actions", bot.fake), blocks, "draft_shorter"))
    post = bot.fake.wait_for("chat.postMessage")[0].args  # that message's blocks hold no such draft: a new reply
    assert post["thread_ts"] == MENTION_TS and "*Draft, shorter*" in all_text(post["blocks"])


def test_a_channel_shared_since_the_answer_gets_refinements_privately(bot: Bot) -> None:
    message = posted(bot)
    bot.fake.shared_channels.add("CSUPPORT")
    bot.rt.channels = type(bot.rt.channels)()  # a fresh cache: sharing changed after the answer
    bot.send(menu_choice(load("block_actions", bot.fake), message, "Shorter"))
    told = bot.fake.wait_for("chat.postEphemeral")[0].args
    assert "Slack Connect" in all_text(told["blocks"]) and "*Draft, shorter*" in all_text(told["blocks"])
    assert not bot.fake.calls_to("chat.postMessage") and not bot.fake.calls_to("chat.update")


def test_a_tampered_or_stale_button_gets_a_polite_note(bot: Bot) -> None:
    bot.send(load("block_actions", bot.fake))  # value "{}": not a draft state
    assert "no longer works" in bot.fake.wait_for("chat.postEphemeral")[0].args["text"]
    forged = menu_choice(load("block_actions", bot.fake), posted(bot), "Shorter")
    forged["message"]["blocks"] = []  # the menu names a draft the message does not hold
    bot.send(forged)
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
    if text:  # a person's message: the same words in `text` and in its rich_text block, as Slack sends them
        payload["message"]["text"] = text
        section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
        payload["message"]["blocks"] = [{"type": "rich_text", "block_id": "k9Lm", "elements": [section]}]
    return payload


def modal_updates(bot: Bot, count: int = 1) -> list[dict[str, Any]]:
    """The views.update calls that put something in the modal other than a "working on it" status line."""

    def real() -> list[dict[str, Any]]:
        return [
            c.args
            for c in bot.fake.calls_to("views.update")
            if not all_text(c.args["view"]["blocks"]).startswith(":hourglass_flowing_sand:")
        ]

    eventually(lambda: len(real()) >= count, timeout=30)
    return real()


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

    statuses = [all_text(c.args["view"]["blocks"]) for c in bot.fake.wait_for("views.update", 2)]
    assert statuses[0] == ":hourglass_flowing_sand: Finding the customer…"  # the modal says what is going on
    assert statuses[1] == ":hourglass_flowing_sand: Reading Jane's history…"
    update = modal_updates(bot)[0]
    assert update["external_id"] == external_id
    text = all_text(update["view"]["blocks"])
    assert "Jane Okafor" in text and "Draft 1" in text
    assert json.loads(update["view"]["private_metadata"])["ch"] == "CSHARED"
    assert not bot.fake.calls_to("chat.postMessage") and not bot.fake.calls_to("chat.postEphemeral")
    assert not bot.fake.calls_to("assistant.threads.setStatus")  # never a status in the shared channel


def test_the_menu_in_the_modal_refines_the_draft_in_place(bot: Bot) -> None:
    external_customer(bot)
    bot.send(shortcut(bot))
    view = modal_updates(bot)[0]["view"]
    assert not [b for b in view["blocks"] if b["type"] == "context_actions"]  # a message block: 👍 👎 are buttons here
    bot.fake.reset()
    template = load("block_actions", bot.fake)
    template["container"] = {"type": "view", "view_id": "V0SUGGEST01"}
    template["view"] = {**view, "id": "V0SUGGEST01", "hash": "1763800650.abc"}
    template.pop("message")
    block_id, menu = next(
        (b["block_id"], e) for b in view["blocks"] for e in b.get("elements", []) if e.get("type") == "overflow"
    )
    option = next(o for o in menu["options"] if o["text"]["text"] == "More formal")
    choice = {"type": "overflow", "action_id": "draft_menu", "block_id": block_id, "selected_option": option}
    bot.send({**template, "actions": [choice]})
    update = bot.fake.wait_for("views.update")[0].args
    text = all_text(update["view"]["blocks"])
    assert update["view_id"] == "V0SUGGEST01" and "*Draft, more formal*" in text and "Dear Jane" in text
    assert "*Draft 1*" not in text and "Draft 2" in text and "Jane Okafor" in text  # draft 1 replaced where it was

    bot.send(click(template, view["blocks"], "draft_helpful"))
    noted = bot.fake.wait_for("views.update", 2)[1].args["view"]["blocks"]
    assert "Thanks: noted as helpful." in all_text(noted)


def test_a_shortcut_on_a_message_naming_nobody_asks_who_then_answers(bot: Bot) -> None:
    bot.send(shortcut(bot, "Can you help with this? It stopped working yesterday.", user="USTAFF"))
    asked = modal_updates(bot)[0]["view"]
    assert asked["callback_id"] == VIEW_FIND_CUSTOMER and asked["submit"]["text"] == "Find"

    submission = load("view_submission", bot.fake)
    submission["view"]["private_metadata"] = asked["private_metadata"]
    response = bot.send(submission)
    ack = json.loads(response.body)
    assert ack["response_action"] == "update"
    update = modal_updates(bot, 2)[-1]
    assert update["view_id"] == "V0SUGGEST01"
    assert "Tom Baker" in all_text(update["view"]["blocks"]) and "Draft 1" in all_text(update["view"]["blocks"])


def test_the_shortcut_answers_a_never_contact_customers_own_message(bot: Bot) -> None:
    # Robert (frequency: never) wrote to us: answering him is a reply, never "reaching out first".
    profile = {"real_name": "Robert Lindqvist", "email": "bob.lindqvist@example.org"}
    bot.fake.users["UROBERT"] = {"id": "UROBERT", "team_id": "T0EXTERNAL", "profile": profile}
    bot.send(shortcut(bot, "The last bag was ground too fine for my moka pot. Can you help?", user="UROBERT"))
    text = all_text(modal_updates(bot)[0]["view"]["blocks"])
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
