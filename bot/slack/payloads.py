"""Slack payloads parsed into typed models at the edge, and the state buttons carry.

Buttons carry everything needed to redo or log a draft (customer, question,
draft text, channel, draft id) so that any replica can handle the click with
no session state on the server.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.knowledge.models import Channel
from bot.slack.constants import MAX_BUTTON_VALUE, MAX_OPTION_VALUE, MAX_PRIVATE_METADATA


class SlackModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


S = TypeVar("S", bound=SlackModel)


# -- events ---------------------------------------------------------------------------


class MessageEvent(SlackModel):
    """An app_mention or a message.im event."""

    type: str
    user: str | None = None
    text: str = ""
    ts: str
    thread_ts: str | None = None
    channel: str
    channel_type: str | None = None
    subtype: str | None = None
    bot_id: str | None = None
    user_team: str | None = None

    @property
    def is_dm(self) -> bool:
        return self.channel_type == "im" or self.channel.startswith("D")


class HomeOpened(SlackModel):
    user: str
    tab: str = "home"


# -- commands -------------------------------------------------------------------------


class Command(SlackModel):
    command: str
    text: str = ""
    user_id: str
    channel_id: str
    team_id: str | None = None
    response_url: str | None = None
    trigger_id: str | None = None


# -- interactivity --------------------------------------------------------------------


class SlackUser(SlackModel):
    id: str
    team_id: str | None = None
    name: str | None = None


class Container(SlackModel):
    type: str
    message_ts: str | None = None
    channel_id: str | None = None
    thread_ts: str | None = None
    is_ephemeral: bool = False
    view_id: str | None = None


class Action(SlackModel):
    action_id: str
    block_id: str = ""
    type: str = ""
    value: str = ""  # a button's, or the chosen feedback button's
    selected_option: dict[str, Any] | None = None  # an overflow menu's choice

    @property
    def chosen(self) -> str:
        """What was picked: the button's value, or the overflow option's value."""
        if self.selected_option is not None:
            return str(self.selected_option.get("value") or "")
        return self.value


class ViewPayload(SlackModel):
    id: str
    hash: str | None = None
    callback_id: str = ""
    external_id: str | None = None
    private_metadata: str = ""
    blocks: list[dict[str, Any]] = Field(default_factory=list)
    state: dict[str, Any] = Field(default_factory=dict)

    def input_value(self, block_id: str, action_id: str) -> str:
        values = self.state.get("values", {})
        return str(values.get(block_id, {}).get(action_id, {}).get("value") or "")


class BlockActions(SlackModel):
    user: SlackUser
    container: Container
    actions: list[Action]
    channel: dict[str, Any] | None = None
    message: dict[str, Any] | None = None
    view: ViewPayload | None = None
    response_url: str | None = None

    @property
    def action(self) -> Action:
        return self.actions[0]


class ShortcutMessage(SlackModel):
    text: str = ""
    ts: str
    user: str | None = None
    bot_id: str | None = None
    thread_ts: str | None = None
    attachments: list[dict[str, Any]] = Field(default_factory=list)  # helpdesks and integrations post here
    blocks: list[dict[str, Any]] = Field(default_factory=list)


class MessageShortcut(SlackModel):
    callback_id: str
    trigger_id: str
    user: SlackUser
    channel: dict[str, Any]
    message: ShortcutMessage
    response_url: str | None = None

    @property
    def channel_id(self) -> str:
        return str(self.channel.get("id", ""))


class ViewSubmission(SlackModel):
    user: SlackUser
    view: ViewPayload


# -- state carried by buttons and modals ----------------------------------------------


class DraftState(SlackModel):
    """The value of every draft button (short keys: values are capped at 2,000 characters)."""

    c: str  # customer id
    d: str  # draft id (feedback log)
    ch: Channel = "email"
    q: str = ""  # the question
    t: str = ""  # the draft text
    o: str = ""  # where it was first shown: mention, dm, shortcut, ...
    i: Literal["reply", "outreach"] | None = None  # the answer's intent, so a refinement keeps it
    x: bool = False  # the draft text was cut to fit the button

    def encode(self) -> str:
        return fit_value(self)


class MenuChoice(SlackModel):
    """The value of an overflow option (Slack caps it at 150 characters): what to do with which draft."""

    s: str  # a style: shorter | formal | warmer | regenerate
    d: str  # the draft id; its text is in the Log-as-sent button of the same actions block

    def encode(self) -> str:
        return fit_value(self, MAX_OPTION_VALUE, ())


class FeedbackState(SlackModel):
    """The value of a feedback button."""

    v: Literal["helpful", "not_helpful"]
    d: str
    c: str = ""
    o: str = ""

    def encode(self) -> str:
        return fit_value(self)


class IntentState(SlackModel):
    """ "Reply to their message" / "Reach out first": ask again, read the other way."""

    c: str
    i: Literal["reply", "outreach"]
    q: str = ""
    o: str = ""

    def encode(self) -> str:
        return fit_value(self, shrink=("q",))


class PickState(SlackModel):
    """A candidate button: which customer, and what to do once picked."""

    k: Literal["answer", "card"]
    c: str
    q: str = ""
    o: str = ""

    def encode(self) -> str:
        return fit_value(self)


class SuggestionMeta(SlackModel):
    """private_metadata of the "Suggest a reply" modal."""

    q: str  # the message being answered
    ch: str = ""  # the Slack channel it was in

    def encode(self) -> str:
        return fit_value(self, MAX_PRIVATE_METADATA, ("q",))


def fit_value(model: BaseModel, limit: int = MAX_BUTTON_VALUE, shrink: tuple[str, ...] = ("q", "t")) -> str:
    """JSON of the model under Slack's limit: the question is shortened first, then the text."""
    data = model.model_dump(exclude_defaults=True)
    encoded = _dump(data)
    for key in shrink:
        if len(encoded) <= limit:
            break
        value = str(data.get(key, ""))
        if key == "t" and value and "x" in type(model).model_fields:
            data["x"] = True  # say the text was cut, so "Log as sent" can say so too
            encoded = _dump(data)
        excess = len(encoded) - limit
        data[key] = value[: max(0, len(value) - excess - 1)] + "…" if value else value
        encoded = _dump(data)
    if len(encoded) > limit:
        raise ValueError(f"button state too large ({len(encoded)} > {limit})")
    return encoded


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def parse_state(model: type[S], raw: str) -> S | None:
    """The state a button or modal carried, or None when it is not ours (or was tampered with)."""
    try:
        return model.model_validate_json(raw)
    except ValidationError:
        return None


# -- Slack's message text -------------------------------------------------------------

MENTION_RE = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
LINK_RE = re.compile(r"<(?:mailto:)?([^<>|]+)(?:\|([^<>]*))?>")
SPECIAL_RE = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
CHANNEL_RE = re.compile(r"<#[CG][A-Z0-9]+\|([^>]*)>")


def plain_text(text: str, drop_user: str | None = None) -> str:
    """Slack's escaped message text as a person wrote it: links and emails unwrapped, our mention dropped."""
    out = MENTION_RE.sub(lambda m: "" if m.group(1) == drop_user else f"@{m.group(1)}", text)
    out = SPECIAL_RE.sub(lambda m: f"@{m.group(1)}", out)
    out = CHANNEL_RE.sub(lambda m: f"#{m.group(1)}", out)
    out = LINK_RE.sub(lambda m: m.group(2) or m.group(1), out)
    return " ".join(html.unescape(out).split())
