"""Where a button's result goes: the same place as the answer it sits on."""

from __future__ import annotations

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.slack.payloads import BlockActions
from bot.slack.runtime import Runtime
from bot.slack.surface import EphemeralSurface, ResponseSurface, Surface, ThreadSurface, ViewSurface


def action_surface(
    rt: Runtime, client: WebClient, respond: Respond, payload: BlockActions, replace: bool = False
) -> tuple[Surface, str | None]:
    """(surface, privacy notice). A thread is re-checked: a channel may have become shared since."""
    user = payload.user.id
    container = payload.container
    if container.type == "view" and payload.view is not None:
        view = payload.view
        return ViewSurface(client, user, view.private_metadata, view_id=view.id, current=view.blocks), None
    if container.is_ephemeral or not container.channel_id:
        return ResponseSurface(respond, user, replace=replace), None
    thread = (payload.message or {}).get("thread_ts") or container.thread_ts
    verdict = rt.channels.check(client, container.channel_id)
    if not verdict.public:
        return EphemeralSurface(client, container.channel_id, thread, user), verdict.reason
    return ThreadSurface(client, container.channel_id, thread, user), None


def is_private(surface: Surface) -> bool:
    """Only the person who clicked can see it (what a card with private notes needs)."""
    return isinstance(surface, ResponseSurface | EphemeralSurface | ViewSurface)
