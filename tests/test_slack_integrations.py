"""Posts from helpdesks and integrations: their words live in attachments and blocks, not in `text`.

Payload shapes follow what such apps post (legacy attachments with pretext, title, text and fields;
Block Kit sections, headers, context, markdown and table blocks) as Slack delivers them back in a
message shortcut or in conversations.replies.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.index.embedding import MiniLMEmbedding
from bot.slack.message_text import message_text
from bot.slack.payloads import plain_text
from tests.fake_slack import BOT_USER_ID, Bot, running_bot, sample_index
from tests.slack_requests import all_text, eventually, load

# A Zendesk-style notification: the fallback in `text`, the ticket in a legacy attachment.
ZENDESK_POST: dict[str, Any] = {
    "type": "message",
    "subtype": "bot_message",
    "bot_id": "BZENDESK",
    "username": "Zendesk",
    "ts": "1763799500.000100",
    "text": "",
    "attachments": [
        {
            "id": 1,
            "color": "78a300",
            "fallback": "New ticket #4821",
            "pretext": "New ticket from *Jane Okafor*",
            "title": "#4821 Kalita Wave order still not here",
            "title_link": "https://northwind.zendesk.example/agent/tickets/4821",
            "text": "Hi, my Kalita Wave order hasn&apos;t arrived and I need it for this weekend. Can you help?",
            "fields": [
                {
                    "title": "Requester",
                    "value": "<mailto:jane.okafor@example.com|jane.okafor@example.com>",
                    "short": True,
                },
                {"title": "Priority", "value": "Normal", "short": True},
            ],
            "footer": "Zendesk",
            "mrkdwn_in": ["text", "pretext"],
        }
    ],
}

# A Block Kit helpdesk post: header, section with fields, the message, a context line, buttons.
BLOCKS_POST: dict[str, Any] = {
    "type": "message",
    "subtype": "bot_message",
    "bot_id": "BHELPDESK",
    "ts": "1763799600.000100",
    "text": "New conversation",
    "blocks": [
        {"type": "header", "block_id": "h", "text": {"type": "plain_text", "text": "New conversation", "emoji": True}},
        {
            "type": "section",
            "block_id": "who",
            "fields": [
                {"type": "mrkdwn", "text": "*From*\nTom Baker"},
                {"type": "mrkdwn", "text": "*Email*\n<mailto:tom.baker@example.net|tom.baker@example.net>"},
            ],
        },
        {
            "type": "section",
            "block_id": "msg",
            "text": {
                "type": "mrkdwn",
                "text": "The grind on the last espresso delivery is too coarse &amp; shots run fast.",
            },
        },
        {"type": "context", "block_id": "via", "elements": [{"type": "mrkdwn", "text": "via email · 2 min ago"}]},
        {
            "type": "actions",
            "block_id": "act",
            "elements": [
                {"type": "button", "action_id": "open", "text": {"type": "plain_text", "text": "Open ticket"}}
            ],
        },
    ],
}


def test_attachments_are_read_whole_without_repeating_the_fallback() -> None:
    text = plain_text(message_text(ZENDESK_POST))
    assert "New ticket from *Jane Okafor*" in text and "Kalita Wave order still not here" in text
    assert "need it for this weekend" in text and "Requester: jane.okafor@example.com" in text
    assert "New ticket #4821" not in text  # the fallback only summarises what the fields already say


def test_every_block_that_carries_text_is_read_and_buttons_are_not() -> None:
    text = plain_text(message_text(BLOCKS_POST))
    for part in ("New conversation", "Tom Baker", "tom.baker@example.net", "too coarse & shots run fast", "via email"):
        assert part in text
    assert "Open ticket" not in text and text.count("New conversation") == 1
    more = {
        "blocks": [
            {"type": "markdown", "text": "**Order** NW-48213 is late"},
            {"type": "table", "rows": [[{"type": "raw_text", "text": "SKU"}, {"type": "raw_text", "text": "KW-185"}]]},
            {"type": "image", "image_url": "https://x.example/a.png", "alt_text": "logo"},
        ]
    }
    assert plain_text(message_text(more)) == "**Order** NW-48213 is late SKU KW-185"


def test_a_persons_message_is_read_once() -> None:
    message = load("message_action")["message"]
    assert plain_text(message_text(message)) == plain_text(message["text"])
    mention = {
        "text": "<@UBOT> hi &amp; bye",
        "blocks": [
            {
                "type": "rich_text",
                "elements": [
                    {
                        "type": "rich_text_section",
                        "elements": [{"type": "user", "user_id": "UBOT"}, {"type": "text", "text": " hi & bye"}],
                    }
                ],
            }
        ],
    }
    assert plain_text(message_text(mention), drop_user="UBOT") == "hi & bye"


@pytest.fixture(scope="module")
def index_dir(sample_copy: Path, tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding) -> Path:
    return sample_index(tmp_path_factory.mktemp("slack-integr") / "index", tmp_path_factory.getbasetemp(), embedder)


@pytest.fixture
def bot(sample_copy: Path, index_dir: Path, embedder: MiniLMEmbedding) -> Iterator[Bot]:
    with running_bot(sample_copy, index_dir, embedder) as b:
        yield b


def test_suggest_a_reply_on_a_helpdesk_post_drafts_for_its_customer(bot: Bot) -> None:
    payload = load("message_action", bot.fake)
    payload["message"] = ZENDESK_POST
    bot.send(payload)

    def answered() -> bool:
        return any("Draft 1" in all_text(c.args["view"]["blocks"]) for c in bot.fake.calls_to("views.update"))

    eventually(answered, timeout=30)
    view = next(
        c.args["view"] for c in bot.fake.calls_to("views.update") if "Draft 1" in all_text(c.args["view"]["blocks"])
    )
    text = all_text(view["blocks"])
    assert "Jane Okafor" in text and "no text I can answer" not in text
    assert "weekend" in view["private_metadata"]  # the customer's own words are what is answered


def test_a_mention_under_a_block_kit_helpdesk_post_finds_the_customer(bot: Bot) -> None:
    root = BLOCKS_POST["ts"]
    bot.fake.threads[root] = [BLOCKS_POST]
    payload = load("app_mention", event_id="Ev0INTEGR001")
    payload["event"].update(text=f"<@{BOT_USER_ID}> what should I reply?", thread_ts=root)
    bot.send(payload)
    post = bot.fake.wait_for("chat.postMessage")[0].args
    assert post["thread_ts"] == root and "Tom Baker" in all_text(post["blocks"])
