"""What a person sees while Rapport works on an answer in a thread: Slack's AI-app status and a stream.

- `status(text)` sets the thread's status line ("Reading Jane's history…") with
  assistant.threads.setStatus (scope chat:write). Slack clears it when Rapport posts in the thread;
  `done()` clears it when nothing was posted (an error told privately).
- `partial(text)` streams the first draft as the model writes it (chat.startStream /
  appendStream / stopStream through slack_sdk's `chat_stream`), when a model is configured. The
  finished answer then replaces the streamed message in place (chat.update), blocks and all.

Both are cosmetic: a failure is logged and switches the feature off for this answer, never the answer.
Only a surface that may show the answer anyway streams or sets a status: never an ephemeral one (a
status in a Slack Connect thread would name the customer to the other organisation).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web.chat_stream import ChatStream

from bot.slack.blocks import esc

log = logging.getLogger(__name__)

STREAM_HEADER = "_Writing a draft…_\n\n"
STREAM_BUFFER = 48  # characters held before a call: the first sentence shows at once, then a call per sentence


class ThreadProgress:
    """`Progress` (bot/core/drafting.py) for a thread: Slack's status line, and the first draft streamed."""

    def __init__(
        self,
        client: WebClient,
        channel: str,
        thread_ts: str | None,
        user: str,
        team: str | None,
        *,
        stream: bool = False,
    ) -> None:
        self.client, self.channel, self.thread_ts, self.user, self.team = client, channel, thread_ts, user, team
        self.streaming = stream and thread_ts is not None
        self.statuses = thread_ts is not None
        self.answered = False
        self._status_set = False
        self._stream: ChatStream | None = None
        self._streamed = ""

    def status(self, text: str) -> None:
        if not self.statuses or self.thread_ts is None:
            return
        try:
            self.client.assistant_threads_setStatus(channel_id=self.channel, thread_ts=self.thread_ts, status=text)
            self._status_set = True
        except (SlackApiError, OSError) as exc:
            log.info("assistant.threads.setStatus failed (%s): no status for this answer", exc)
            self.statuses = False

    def partial(self, text: str) -> None:
        """The first draft so far. Text that no longer starts with what was shown waits for the final answer."""
        if not self.streaming or self.thread_ts is None or not text.startswith(self._streamed):
            return
        delta = text[len(self._streamed) :]
        if not delta:
            return
        try:
            if self._stream is None:
                self._stream = self.client.chat_stream(
                    channel=self.channel,
                    thread_ts=self.thread_ts,
                    recipient_user_id=self.user,
                    recipient_team_id=self.team,
                    buffer_size=STREAM_BUFFER,
                )
                self._stream.append(markdown_text=STREAM_HEADER)
            self._stream.append(markdown_text=esc(delta))
            self._streamed = text
        except (SlackApiError, OSError) as exc:
            log.info("streaming the draft failed (%s): the answer is posted when it is ready", exc)
            self.streaming = False

    def clear_status(self) -> None:
        """An answer changed in place is no new message, so Slack would leave the status up: clear it."""
        if not self._status_set or self.thread_ts is None:
            return
        self._status_set = False
        try:
            self.client.assistant_threads_setStatus(channel_id=self.channel, thread_ts=self.thread_ts, status="")
        except (SlackApiError, OSError) as exc:
            log.info("clearing the status failed: %s", exc)

    def finish_stream(self, blocks: list[dict[str, Any]], text: str) -> bool:
        """Turn the streamed message into the answer's first message; False when nothing was streamed."""
        stream, self._stream = self._stream, None
        if stream is None or stream.ts is None:
            return False
        try:
            stream.stop()
            self.client.chat_update(channel=self.channel, ts=stream.ts, blocks=blocks, text=text)
        except (SlackApiError, OSError) as exc:
            log.warning("replacing the streamed draft failed (%s): posting the answer as a new message", exc)
            return False
        return True

    def done(self) -> None:
        if self._stream is not None and self._stream.ts is not None:
            try:
                self._stream.stop(markdown_text="\n\n_(stopped: see the note only you can see)_")
            except (SlackApiError, OSError) as exc:
                log.info("chat.stopStream failed: %s", exc)
            self._stream = None
        if not self.answered:
            self.clear_status()
