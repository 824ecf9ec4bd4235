"""Where an answer goes: a thread (or DM), the asker only, a response_url, or a modal.

Listeners pick the surface once (privacy decides) and then call `show` (the answer), `add` (a
follow-up next to it), `update` (change the message a button was on, in place) and `tell` (a short
note only the person who acted sees). While an answer is worked on, `status` and `partial` are the
`Progress` the services report to (bot/core/drafting.py): only a thread that may show the answer
anyway shows them (slack_progress.py).

Every surface degrades honestly: a response_url that fails falls back to chat.postEphemeral, and a
channel Rapport is not in falls back to the person's DM with Rapport, with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block, DividerBlock
from slack_sdk.webhook import WebhookClient

from bot.slack.blocks import chunk_blocks, context
from bot.slack.cards import loading_blocks, suggestion_modal
from bot.slack.constants import MAX_BLOCKS_MESSAGE, MAX_BLOCKS_VIEW
from bot.slack.draft_blocks import Layout
from bot.slack.errors import NOT_IN_CHANNEL
from bot.slack.retries import webhook_retries
from bot.slack.slack_progress import ThreadProgress

log = logging.getLogger(__name__)

CONTINUED = "(continued)"
UNREACHABLE = ("not_in_channel", "channel_not_found", "is_archived")
RawBlocks = list[dict[str, Any]]


def raw(blocks: Sequence[Block | dict[str, Any]]) -> RawBlocks:
    return [b.to_dict() if isinstance(b, Block) else dict(b) for b in blocks]


class Surface(Protocol):
    user: str
    layout: Layout  # how drafts are laid out here (draft_blocks.py)

    def show(self, blocks: Sequence[Block], text: str) -> None: ...

    def add(self, blocks: Sequence[Block], text: str) -> None:
        """A follow-up (a refined draft) next to what is already shown."""
        ...

    def update(self, blocks: RawBlocks, text: str) -> bool:
        """Replace the message (or modal) a button was on; False when this surface cannot."""
        ...

    def tell(self, text: str) -> None: ...

    def status(self, text: str) -> None: ...

    def partial(self, text: str) -> None: ...

    def done(self) -> None:
        """The work is over, answered or not: clear what showed it was under way."""
        ...


def tell_in_dm(client: WebClient, user: str, text: str) -> None:
    """Rapport's DM with the person (its Messages tab): where a note goes when the channel is closed to us."""
    client.chat_postMessage(channel=user, text=text)


class ThreadSurface(ThreadProgress):
    """Posts in a thread (or a DM); private notes go to the person as ephemeral messages."""

    layout: Layout = "message"

    def __init__(
        self,
        client: WebClient,
        channel: str,
        thread_ts: str | None,
        user: str,
        *,
        team: str | None = None,
        message_ts: str | None = None,
        stream: bool = False,
    ) -> None:
        super().__init__(client, channel, thread_ts, user, team, stream=stream)
        self.message_ts = message_ts  # the message a button was on, for `update`

    def show(self, blocks: Sequence[Block], text: str) -> None:
        chunks = chunk_blocks(blocks)
        first = 0
        if self.finish_stream(raw(chunks[0]), text):
            first = 1
        for i, chunk in enumerate(chunks[first:], first):
            self.client.chat_postMessage(
                channel=self.channel,
                thread_ts=self.thread_ts,
                blocks=chunk,
                text=text if i == 0 else CONTINUED,
                unfurl_links=False,
                unfurl_media=False,
            )
        self.answered = True

    def add(self, blocks: Sequence[Block], text: str) -> None:
        self.show(blocks, text)  # a new message under the answer

    def update(self, blocks: RawBlocks, text: str) -> bool:
        if not self.message_ts or len(blocks) > MAX_BLOCKS_MESSAGE:
            return False
        self.client.chat_update(channel=self.channel, ts=self.message_ts, blocks=blocks, text=text)
        self.answered = True
        self.clear_status()
        return True

    def tell(self, text: str) -> None:
        try:
            self.client.chat_postEphemeral(channel=self.channel, user=self.user, thread_ts=self.thread_ts, text=text)
        except SlackApiError as exc:
            if exc.response.get("error") not in UNREACHABLE:
                raise
            log.info("chat.postEphemeral in %s failed (%s): telling %s in the DM", self.channel, exc, self.user)
            note = text if text == NOT_IN_CHANNEL else f"{NOT_IN_CHANNEL}\n{text}"
            tell_in_dm(self.client, self.user, f"In <#{self.channel}>: {note}")


class EphemeralSurface(ThreadSurface):
    """Only the asker sees anything (Slack Connect, channels outside the allow-list): no status, no stream."""

    layout: Layout = "ephemeral"

    def __init__(self, client: WebClient, channel: str, thread_ts: str | None, user: str) -> None:
        super().__init__(client, channel, thread_ts, user)
        self.statuses = self.streaming = False  # a status or a stream would show in the channel

    def show(self, blocks: Sequence[Block], text: str) -> None:
        for i, chunk in enumerate(chunk_blocks(blocks)):
            self.client.chat_postEphemeral(
                channel=self.channel,
                user=self.user,
                thread_ts=self.thread_ts,
                blocks=chunk,
                text=text if i == 0 else CONTINUED,
            )

    def update(self, blocks: RawBlocks, text: str) -> bool:
        return False  # an ephemeral message is replaced only through its response_url


class ResponseSurface:
    """A slash command's or an ephemeral message's response_url: always ephemeral.

    When the response_url fails (expired after 30 minutes, used five times, or Slack is down), the
    message goes through chat.postEphemeral instead, and the failure is logged.
    """

    layout: Layout = "ephemeral"

    def __init__(
        self, client: WebClient, response_url: str | None, channel: str | None, user: str, replace: bool = False
    ) -> None:
        self.client, self.response_url, self.channel, self.user, self.replace = (
            client,
            response_url,
            channel,
            user,
            replace,
        )

    def _send(self, message: dict[str, Any]) -> bool:
        if self.response_url:
            try:
                hook = WebhookClient(self.response_url, retry_handlers=webhook_retries())
                sent = hook.send_dict({"response_type": "ephemeral", **message})
                if sent.status_code == 200:
                    return True
                log.warning("response_url failed (%s %s): using chat.postEphemeral", sent.status_code, sent.body)
            except OSError as exc:
                log.warning("response_url failed (%s): using chat.postEphemeral", exc)
        return False

    def _fallback(self, text: str, blocks: RawBlocks | None = None) -> None:
        if not self.channel:
            tell_in_dm(self.client, self.user, text)
            return
        try:
            self.client.chat_postEphemeral(channel=self.channel, user=self.user, text=text, blocks=blocks)
        except SlackApiError as exc:
            if exc.response.get("error") not in UNREACHABLE:
                raise
            tell_in_dm(self.client, self.user, text)

    def show(self, blocks: Sequence[Block], text: str) -> None:
        for i, chunk in enumerate(chunk_blocks(blocks)):
            piece = text if i == 0 else CONTINUED
            message = {"text": piece, "blocks": raw(chunk), "replace_original": self.replace and i == 0}
            if not self._send(message):
                self._fallback(piece, raw(chunk))

    def add(self, blocks: Sequence[Block], text: str) -> None:
        self.show(blocks, text)

    def update(self, blocks: RawBlocks, text: str) -> bool:
        if len(blocks) > MAX_BLOCKS_MESSAGE or not self.response_url:
            return False
        return self._send({"text": text, "blocks": blocks, "replace_original": True})

    def tell(self, text: str) -> None:
        if not self._send({"text": text, "replace_original": False}):
            self._fallback(text)

    def status(self, text: str) -> None:
        return None

    def partial(self, text: str) -> None:
        return None

    def done(self) -> None:
        return None


class ViewSurface:
    """The "Suggest a reply" modal, updated in place."""

    layout: Layout = "modal"

    def __init__(
        self,
        client: WebClient,
        user: str,
        metadata: str,
        *,
        view_id: str | None = None,
        external_id: str | None = None,
        current: Sequence[dict[str, Any]] = (),
    ) -> None:
        self.client, self.user, self.metadata = client, user, metadata
        self.view_id, self.external_id, self.current = view_id, external_id, list(current)
        self._loading = not current  # the modal still says "Reading…": status lines may replace that

    def show(self, blocks: Sequence[Block], text: str) -> None:
        self._loading = False
        self._update(list(blocks))

    def add(self, blocks: Sequence[Block], text: str) -> None:
        """The refined draft on top, the answer it came from still below it (the modal is one page)."""
        below = [b for item in self.current if (b := Block.parse(item)) is not None]
        self._update([*blocks, DividerBlock(), *below])

    def update(self, blocks: RawBlocks, text: str) -> bool:
        if len(blocks) > MAX_BLOCKS_VIEW:
            return False
        self._loading = False
        self._update([b for item in blocks if (b := Block.parse(item)) is not None])
        return True

    def tell(self, text: str) -> None:
        blocks = [b for item in self.current if (b := Block.parse(item)) is not None]
        self._update([*blocks, context(text)])

    def status(self, text: str) -> None:
        if self._loading:
            try:
                self._update(loading_blocks(text))
            except SlackApiError as exc:  # cosmetic: the answer replaces it anyway
                log.info("views.update (status) failed: %s", exc.response.get("error"))

    def partial(self, text: str) -> None:
        return None

    def done(self) -> None:
        return None

    def _update(self, blocks: list[Block]) -> None:
        view = suggestion_modal(blocks, self.metadata)
        if self.view_id:
            self.client.views_update(view_id=self.view_id, view=view)
        else:
            self.client.views_update(external_id=self.external_id, view=view)
