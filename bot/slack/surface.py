"""Where an answer goes: a thread (or DM), the asker only, a response_url, or a modal.

Listeners pick the surface once (privacy decides) and then only call `show`
(the answer) and `tell` (a short note only the person who acted sees).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from slack_bolt.context.respond import Respond
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block, DividerBlock

from bot.slack.blocks import chunk_blocks, context
from bot.slack.cards import suggestion_modal

CONTINUED = "(continued)"


class Surface(Protocol):
    user: str

    def show(self, blocks: Sequence[Block], text: str) -> None: ...

    def add(self, blocks: Sequence[Block], text: str) -> None:
        """A follow-up (a refined draft) next to what is already shown."""
        ...

    def tell(self, text: str) -> None: ...


class ThreadSurface:
    """Posts in a thread (or a DM); private notes go to the person as ephemeral messages."""

    def __init__(self, client: WebClient, channel: str, thread_ts: str | None, user: str) -> None:
        self.client, self.channel, self.thread_ts, self.user = client, channel, thread_ts, user

    def show(self, blocks: Sequence[Block], text: str) -> None:
        for i, chunk in enumerate(chunk_blocks(blocks)):
            self.client.chat_postMessage(
                channel=self.channel,
                thread_ts=self.thread_ts,
                blocks=chunk,
                text=text if i == 0 else CONTINUED,
                unfurl_links=False,
                unfurl_media=False,
            )

    def add(self, blocks: Sequence[Block], text: str) -> None:
        self.show(blocks, text)  # a new message under the answer

    def tell(self, text: str) -> None:
        self.client.chat_postEphemeral(channel=self.channel, user=self.user, thread_ts=self.thread_ts, text=text)


class EphemeralSurface(ThreadSurface):
    """Only the asker sees anything (Slack Connect, channels outside the allow-list)."""

    def show(self, blocks: Sequence[Block], text: str) -> None:
        for i, chunk in enumerate(chunk_blocks(blocks)):
            self.client.chat_postEphemeral(
                channel=self.channel,
                user=self.user,
                thread_ts=self.thread_ts,
                blocks=chunk,
                text=text if i == 0 else CONTINUED,
            )


class ResponseSurface:
    """A slash command's or an ephemeral message's response_url: always ephemeral."""

    def __init__(self, respond: Respond, user: str, replace: bool = False) -> None:
        self.respond, self.user, self.replace = respond, user, replace

    def show(self, blocks: Sequence[Block], text: str) -> None:
        for i, chunk in enumerate(chunk_blocks(blocks)):
            self.respond(
                text=text if i == 0 else CONTINUED,
                blocks=[b.to_dict() for b in chunk],
                response_type="ephemeral",
                replace_original=self.replace and i == 0,
            )

    def add(self, blocks: Sequence[Block], text: str) -> None:
        self.show(blocks, text)

    def tell(self, text: str) -> None:
        self.respond(text=text, response_type="ephemeral", replace_original=False)


class ViewSurface:
    """The "Suggest a reply" modal, updated in place."""

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

    def show(self, blocks: Sequence[Block], text: str) -> None:
        self._update(list(blocks))

    def add(self, blocks: Sequence[Block], text: str) -> None:
        """The refined draft on top, the answer it came from still below it (the modal is one page)."""
        below = [b for raw in self.current if (b := Block.parse(raw)) is not None]
        self._update([*blocks, DividerBlock(), *below])

    def tell(self, text: str) -> None:
        blocks = [b for raw in self.current if (b := Block.parse(raw)) is not None]
        self._update([*blocks, context(text)])

    def _update(self, blocks: list[Block]) -> None:
        view = suggestion_modal(blocks, self.metadata)
        if self.view_id:
            self.client.views_update(view_id=self.view_id, view=view)
        else:
            self.client.views_update(external_id=self.external_id, view=view)
