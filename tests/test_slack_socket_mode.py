"""Socket Mode end to end, as python-slack-sdk tests its clients: a local websocket server on 127.0.0.1.

The fake Web API's apps.connections.open hands out the server's ws:// URL; the server says hello and
sends envelopes (a mention, /customer, a button, the shortcut), and in the middle asks the app to
reconnect (`disconnect`, `refresh_requested`) as Slack does every few hours. Every envelope must be
acked with its envelope_id within Slack's 3 seconds, and answered.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient

from bot.index.embedding import MiniLMEmbedding
from bot.slack.retries import web_api_retries
from bot.slack.socket_mode import SocketModeHandler
from tests.fake_slack import Bot, running_bot, sample_index
from tests.fake_socket_mode import FakeSocketMode, events_api, interactive, slash_command
from tests.slack_requests import all_text, load, menu_choice

APP_TOKEN = "xapp-1-A0RAPPORT01-1-socketmodetest"
SLACK_ACK_LIMIT = 3.0


@pytest.fixture(scope="module")
def index_dir(sample_copy: Path, tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding) -> Path:
    return sample_index(tmp_path_factory.mktemp("slack-socket") / "index", tmp_path_factory.getbasetemp(), embedder)


@pytest.fixture
def connected(sample_copy: Path, index_dir: Path, embedder: MiniLMEmbedding) -> Iterator[tuple[Bot, FakeSocketMode]]:
    server = FakeSocketMode(grace=0.5).start()
    with running_bot(sample_copy, index_dir, embedder) as bot:
        bot.fake.socket_url = lambda: server.url
        web = WebClient(base_url=bot.fake.api_url, retry_handlers=web_api_retries())
        handler = SocketModeHandler(bot.app, APP_TOKEN, web)
        handler.connect()
        try:
            yield bot, server
        finally:
            handler.close()
    server.stop()


def test_envelopes_are_acked_and_answered_across_a_refresh(connected: tuple[Bot, FakeSocketMode]) -> None:
    bot, server = connected
    hello = server.wait_connections(1)
    assert hello.number == 1

    # A mention: acked at once (an empty ack), answered in its thread.
    mention = server.send(events_api(load("app_mention", event_id="Ev0SOCKET001")))
    assert server.wait_ack(mention).payload is None
    post = bot.fake.wait_for("chat.postMessage")[0]
    assert post.args["thread_ts"] == "1763800000.000200" and "Tom Baker" in all_text(post.args["blocks"])
    message = bot.fake.message(post)

    # /customer: the card goes to the response_url; without a query, the usage is in the ack itself.
    card = server.send(slash_command(load("command_customer", bot.fake, text="Margaret Hughes")))
    usage = server.send(slash_command(load("command_customer", bot.fake, text=" ")))
    assert server.wait_ack(card).payload is None
    assert "Usage" in str(server.wait_ack(usage).payload)
    assert "Margaret Hughes" in all_text(bot.fake.wait_for("response_url")[0].args["blocks"])

    # Slack refreshes the connection; a click arrives on the old one while the app reconnects.
    server.disconnect("refresh_requested")
    button = interactive(menu_choice(load("block_actions", bot.fake), message, "Shorter"))
    in_flight = server.send(button, on_retiring=True)
    server.wait_connections(2)

    # The shortcut arrives on the new connection: its trigger_id lives 3 s, so the ack must be quick.
    shortcut = server.send(interactive(load("message_action", bot.fake)))
    acks = [server.wait_ack(e) for e in (mention, card, usage, in_flight, shortcut)]
    assert all(a.after < SLACK_ACK_LIMIT for a in acks), [round(a.after, 3) for a in acks]
    assert server.wait_ack(shortcut).connection == 2

    update = bot.fake.wait_for("chat.update")[0].args  # the click was answered: the draft refined in place
    assert update["ts"] == message["ts"] and "*Draft, shorter*" in all_text(update["blocks"])
    opened = bot.fake.wait_for("views.open")[0].args
    assert opened["trigger_id"] == "5550004.1763800600.0a1b2c3d4e5f6a7b"
    tokens = {c.token for c in bot.fake.calls_to("apps.connections.open")}
    assert tokens == {APP_TOKEN} and len(bot.fake.calls_to("apps.connections.open")) == 2
    assert len(bot.fake.delivered("chat.postMessage")) == 1  # nothing answered twice


def test_a_retried_event_over_socket_mode_is_answered_once(connected: tuple[Bot, FakeSocketMode]) -> None:
    bot, server = connected
    first = events_api(load("app_mention", event_id="Ev0SOCKET002"))
    again = {**events_api(load("app_mention", event_id="Ev0SOCKET002")), "retry_attempt": 1, "retry_reason": "timeout"}
    server.wait_ack(server.send(first))
    server.wait_ack(server.send(again))  # acked (Slack stops retrying), not answered again
    bot.fake.wait_for("reactions.remove")
    assert len(bot.fake.calls_to("chat.postMessage")) == 1
