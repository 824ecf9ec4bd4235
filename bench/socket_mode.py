"""Socket Mode acks around Slack's periodic reconnect, for each adapter: which one Rapport should use.

A local Socket Mode server (tests/fake_socket_mode.py) and the fake Web API; a Bolt app whose
listener only acks. Measured per adapter: ack latency in steady state; then, for several
`refresh_requested` disconnects, the time until the new connection is open, the ack of an envelope
still in flight on the old connection, and the ack of the first envelope on the new one.
Slack's limit for an ack is 3 s (and a shortcut's trigger_id expires with it).

    .venv/bin/python bench/socket_mode.py [--rounds N]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from slack_bolt import App  # noqa: E402
from slack_bolt.authorization import AuthorizeResult  # noqa: E402
from slack_sdk import WebClient  # noqa: E402

from tests.fake_slack import BOT_TOKEN, FakeSlack  # noqa: E402
from tests.fake_socket_mode import FakeSocketMode, events_api  # noqa: E402
from tests.slack_requests import load  # noqa: E402

APP_TOKEN = "xapp-1-A0RAPPORT01-1-bench"
ADAPTERS = ("builtin", "websocket_client", "rapport")


def handler_for(adapter: str, app: App, web: WebClient) -> Any:
    if adapter == "builtin":
        from slack_bolt.adapter.socket_mode.builtin import SocketModeHandler

        return SocketModeHandler(app, app_token=APP_TOKEN, web_client=web)
    if adapter == "websocket_client":
        from slack_bolt.adapter.socket_mode.websocket_client import SocketModeHandler as WsHandler

        return WsHandler(app, app_token=APP_TOKEN, web_client=web)
    from bot.slack.socket_mode import SocketModeHandler as RapportHandler

    return RapportHandler(app, APP_TOKEN, web)


def measure(adapter: str, rounds: int, steady_count: int = 30) -> dict[str, list[float]]:
    fake = FakeSlack().start()
    server = FakeSocketMode(grace=2.0).start()
    fake.socket_url = lambda: server.url
    identity = AuthorizeResult(
        enterprise_id=None, team_id="T0001", bot_user_id="UBOT", bot_id="BBOT", bot_token=BOT_TOKEN
    )
    app = App(
        client=WebClient(token=BOT_TOKEN, base_url=fake.api_url),
        authorize=lambda: identity,
        signing_secret="unused-in-socket-mode",
        process_before_response=True,
    )
    app.event("app_mention")(lambda ack: ack())
    handler = handler_for(adapter, app, WebClient(base_url=fake.api_url))
    handler.connect()
    count = [0]

    def envelope() -> dict[str, Any]:
        count[0] += 1
        return events_api(load("app_mention", event_id=f"EvBench{count[0]:05d}"))

    out: dict[str, list[float]] = {"steady": [], "reconnect": [], "in_flight": [], "first_new": [], "lost": []}
    try:
        for _ in range(steady_count):
            out["steady"].append(server.wait_ack(server.send(envelope())).after)
        for _ in range(rounds):
            before = server.opened
            started = time.perf_counter()
            server.disconnect("refresh_requested")
            in_flight = server.send(envelope(), on_retiring=True)
            server.wait_connections(before + 1)
            out["reconnect"].append(time.perf_counter() - started)
            first = server.send(envelope())
            for key, envelope_id in (("in_flight", in_flight), ("first_new", first)):
                try:
                    out[key].append(server.wait_ack(envelope_id, timeout=12).after)
                except AssertionError:
                    out["lost"].append(1.0)
            time.sleep(server.grace + 0.5)  # the old connection is gone before the next round
    finally:
        handler.close()
        server.stop()
        fake.stop()
    return out


def ms(values: list[float], how: str) -> str:
    if not values:
        return "-"
    figure = statistics.median(values) if how == "p50" else max(values)
    return f"{figure * 1000:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="refresh_requested disconnects per adapter")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    print(
        "adapter           steady ack p50/max ms  reconnect p50/max ms  in-flight ack p50/max ms  "
        "first new ack max ms  lost acks"
    )
    for adapter in ADAPTERS:
        r = measure(adapter, args.rounds)
        print(
            f"{adapter:<17} {ms(r['steady'], 'p50'):>9} / {ms(r['steady'], 'max'):<9}   "
            f"{ms(r['reconnect'], 'p50'):>8} / {ms(r['reconnect'], 'max'):<9}  "
            f"{ms(r['in_flight'], 'p50'):>10} / {ms(r['in_flight'], 'max'):<11}  "
            f"{ms(r['first_new'], 'max'):>12}          {len(r['lost'])} of {2 * args.rounds}"
        )


if __name__ == "__main__":
    main()
