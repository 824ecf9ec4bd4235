"""Where a button's result goes: the same place as the answer it sits on."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.slack.payloads import BlockActions
from bot.slack.runtime import Runtime
from bot.slack.surface import EphemeralSurface, ResponseSurface, Surface, ThreadSurface, ViewSurface


def action_surface(
    rt: Runtime, client: WebClient, payload: BlockActions, replace: bool = False
) -> tuple[Surface, str | None]:
    """(surface, privacy notice). A thread is re-checked: a channel may have become shared since."""
    user = payload.user.id
    container = payload.container
    if container.type == "view" and payload.view is not None:
        view = payload.view
        return ViewSurface(client, user, view.private_metadata, view_id=view.id, current=view.blocks), None
    if container.is_ephemeral or not container.channel_id:
        channel = container.channel_id or (payload.channel or {}).get("id")
        return ResponseSurface(client, payload.response_url, channel, user, replace=replace), None
    thread = (payload.message or {}).get("thread_ts") or container.thread_ts
    verdict = rt.channels.check(client, container.channel_id)
    if not verdict.public:
        return EphemeralSurface(client, container.channel_id, thread, user), verdict.reason
    surface = ThreadSurface(client, container.channel_id, thread, user, message_ts=container.message_ts)
    return surface, None


def shown_blocks(payload: BlockActions) -> list[dict[str, Any]]:
    """The blocks of the message or modal the button was on, as Slack sent them back (none for ephemeral)."""
    if payload.container.type == "view" and payload.view is not None:
        return list(payload.view.blocks)
    return list((payload.message or {}).get("blocks") or [])


def shown_text(payload: BlockActions, default: str) -> str:
    return str((payload.message or {}).get("text") or default)


def is_private(surface: Surface) -> bool:
    """Only the person who clicked can see it (what a card with private notes needs)."""
    return isinstance(surface, ResponseSurface | EphemeralSurface | ViewSurface)
