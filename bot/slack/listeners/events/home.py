"""The App Home tab: a how-to for everyone, index status for admins."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.slack.errors import reported
from bot.slack.payloads import HomeOpened
from bot.slack.runtime import Runtime
from bot.slack.status import collect, home_view


class HomeTab:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def publish(self, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        opened = HomeOpened.model_validate(body["event"])
        if opened.tab != "home":
            return
        with reported(lambda _text: None, "app_home_opened", user=opened.user):
            status = collect(self.rt) if self.rt.is_admin(opened.user) else None
            client.views_publish(user_id=opened.user, view=home_view(status, context.bot_user_id))
