"""App Home: "This week" for the person who opens it (their own customers first), above the how-to and,
for admins, the index status (the home view itself is bot/slack/status.py's)."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.models.views import View

from bot.slack.constants import MAX_BLOCKS_VIEW
from bot.slack.digest_blocks import this_week_blocks
from bot.slack.errors import reported
from bot.slack.listeners.digest.common import current_digest, mine
from bot.slack.payloads import HomeOpened
from bot.slack.runtime import Runtime
from bot.slack.status import collect, home_view

HOME_SHOWN = 20
SPARE = 6  # blocks "This week" adds besides its entries (divider, header, summary, left out, chart)


class ThisWeekHome:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def publish(self, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        opened = HomeOpened.model_validate(body["event"])
        if opened.tab != "home":
            return
        with reported(lambda _text: None, "app_home_opened", user=opened.user):
            status = collect(self.rt) if self.rt.is_admin(opened.user) else None
            view = home_view(status, context.bot_user_id)
            base = list(view.blocks or [])
            digest = current_digest(self.rt)
            room = (MAX_BLOCKS_VIEW - len(base) - SPARE) // 3
            week = this_week_blocks(digest, mine(self.rt, client, opened.user, digest), min(HOME_SHOWN, room))
            blocks = [*base[:1], *week, *base[1:]]
            client.views_publish(user_id=opened.user, view=View(type="home", blocks=blocks[:MAX_BLOCKS_VIEW]))
