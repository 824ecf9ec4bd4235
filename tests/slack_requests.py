"""Requests as Slack sends them: payload fixtures, signatures, and clicks on what the bot posted."""

from __future__ import annotations

import copy
import json
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.signature import SignatureVerifier

PAYLOADS = Path(__file__).parent / "slack_payloads"
SIGNING_SECRET = "test-signing-secret"
HOOKS = "https://hooks.slack.com/"


class HasBase(Protocol):
    @property
    def base(self) -> str: ...


# -- payloads and signed requests -------------------------------------------------------


def load(name: str, fake: HasBase | None = None, **changes: Any) -> dict[str, Any]:
    """A fixture from tests/slack_payloads; response_urls are pointed at the fake."""
    text = (PAYLOADS / f"{name}.json").read_text(encoding="utf-8")
    if fake is not None:
        text = text.replace(HOOKS, fake.base + "hooks/")
    payload: dict[str, Any] = json.loads(text)
    payload.update(changes)
    return payload


def sign(body: str, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"x-slack-request-timestamp": ts, "x-slack-signature": str(signature)}


def event_body(payload: dict[str, Any]) -> tuple[str, str]:
    return json.dumps(payload), "application/json"


def command_body(form: dict[str, Any]) -> tuple[str, str]:
    return urllib.parse.urlencode(form), "application/x-www-form-urlencoded"


def interactive_body(payload: dict[str, Any]) -> tuple[str, str]:
    return urllib.parse.urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"


def body_for(payload: dict[str, Any]) -> tuple[str, str]:
    if payload.get("type") == "event_callback":
        return event_body(payload)
    if "command" in payload:
        return command_body(payload)
    return interactive_body(payload)


def signed_request(
    payload: dict[str, Any], timestamp: int | None = None, extra: dict[str, str] | None = None
) -> tuple[str, dict[str, str]]:
    body, content_type = body_for(payload)
    return body, {"content-type": content_type, **sign(body, timestamp), **(extra or {})}


def dispatch(
    app: App, payload: dict[str, Any], timestamp: int | None = None, extra: dict[str, str] | None = None
) -> BoltResponse:
    body, headers = signed_request(payload, timestamp, extra)
    return app.dispatch(BoltRequest(body=body, headers={k: [v] for k, v in headers.items()}))


def button_value(blocks: list[dict[str, Any]], action_id: str, index: int = 0) -> tuple[str, str]:
    """(block_id, value) of the index-th button with this action id in posted blocks."""
    found = [
        (b.get("block_id", ""), e["value"])
        for b in blocks
        if b.get("type") == "actions"
        for e in b.get("elements", [])
        if e.get("action_id") == action_id
    ]
    return found[index]


def click(
    template: dict[str, Any], blocks: list[dict[str, Any]], action_id: str, index: int = 0, **changes: Any
) -> dict[str, Any]:
    """A block_actions payload for clicking a button that the bot really posted."""
    payload = copy.deepcopy(template)
    block_id, value = button_value(blocks, action_id, index)
    payload["actions"] = [{**payload["actions"][0], "action_id": action_id, "block_id": block_id, "value": value}]
    payload.update(changes)
    return payload


def clicked_on(template: dict[str, Any], message: dict[str, Any], action: dict[str, Any]) -> dict[str, Any]:
    """A block_actions payload for an action on a message the bot posted (Slack sends the message back)."""
    payload = copy.deepcopy(template)
    payload["actions"] = [{"action_ts": "1763800500.123456", **action}]
    payload["message"] = {**payload.get("message", {}), **message}
    payload["container"] = {**payload["container"], "message_ts": message["ts"]}
    return payload


def elements_of(blocks: list[dict[str, Any]], kind: str, action_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(block_id, element) of every element of this type and action id, in order."""
    return [
        (b.get("block_id", ""), e)
        for b in blocks
        for e in b.get("elements", [])
        if isinstance(e, dict) and e.get("type") == kind and e.get("action_id") == action_id
    ]


def menu_choice(template: dict[str, Any], message: dict[str, Any], label: str, index: int = 0) -> dict[str, Any]:
    """Choosing `label` in the index-th draft's overflow menu, as Slack reports it."""
    block_id, menu = elements_of(message["blocks"], "overflow", "draft_menu")[index]
    option = next(o for o in menu["options"] if o["text"]["text"] == label)
    action = {"type": "overflow", "action_id": "draft_menu", "block_id": block_id, "selected_option": option}
    return clicked_on(template, message, action)


def feedback_choice(
    template: dict[str, Any], message: dict[str, Any], positive: bool, index: int = 0
) -> dict[str, Any]:
    """Clicking 👍 or 👎 on the index-th draft (Slack's feedback_buttons element)."""
    block_id, element = elements_of(message["blocks"], "feedback_buttons", "draft_feedback")[index]
    button = element["positive_button" if positive else "negative_button"]
    action = {
        "type": "feedback_buttons",
        "action_id": "draft_feedback",
        "block_id": block_id,
        "value": button["value"],
        "text": button["text"],
    }
    return clicked_on(template, message, action)


def button_choice(template: dict[str, Any], message: dict[str, Any], action_id: str, index: int = 0) -> dict[str, Any]:
    block_id, button = elements_of(message["blocks"], "button", action_id)[index]
    action = {"type": "button", "action_id": action_id, "block_id": block_id, "value": button["value"]}
    return clicked_on(template, message, {**action, "text": button["text"]})


def eventually(check: Callable[[], bool], timeout: float = 10) -> None:
    """Wait for work a lazy listener finishes after its last Web API call (a feedback record, say)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout}s")
        time.sleep(0.02)


def all_text(blocks: list[dict[str, Any]]) -> str:
    """Every piece of text in some blocks, for `in` assertions."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    out.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return "\n".join(out)
