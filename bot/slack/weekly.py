"""The weekly "who needs us" post to RAPPORT_DIGEST_CHANNEL, at RAPPORT_DIGEST_DAY and _TIME.

A small thread waits for the next slot (looking at the clock at least once a minute, so a suspended
machine or a clock change only delays it) and posts once per slot: the slot is claimed in the dedup
store first, so with REDIS_URL only one replica posts. Before each post the channel is checked: a
channel shared with another organisation (Slack Connect), or outside RAPPORT_ALLOWED_CHANNELS, is
refused with a log line saying why, never posted to (DESIGN.md, "Private by default").
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from contextlib import ExitStack
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services.digest import build_digest
from bot.slack.blocks import chunk_blocks
from bot.slack.digest_blocks import digest_blocks, digest_text
from bot.slack.runtime import Runtime
from bot.slack.surface import CONTINUED

log = logging.getLogger(__name__)

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LOOK_EVERY = 60.0  # seconds: the longest wait between looks at the clock
SLOT_TTL = 8 * 86400.0  # a slot claimed stays claimed past the next week's
SHOWN = 15


def next_slot(now: dt.datetime, day: str, at: dt.time) -> dt.datetime:
    """The first slot (weekday `day` at `at`, in now's zone) strictly after `now`."""
    ahead = (DAYS.index(day) - now.weekday()) % 7
    slot = dt.datetime.combine(now.date() + dt.timedelta(days=ahead), at, tzinfo=now.tzinfo)
    return slot if slot > now else slot + dt.timedelta(days=7)


class WeeklyDigest:
    def __init__(self, rt: Runtime, client: WebClient, now: Callable[[], dt.datetime] | None = None) -> None:
        settings = rt.settings
        self.rt, self.client = rt, client
        self.channel = settings.rapport_digest_channel or ""
        self.day, self.at = settings.rapport_digest_day, settings.rapport_digest_time
        zone = ZoneInfo(settings.rapport_digest_tz) if settings.rapport_digest_tz else None
        self.now = now or (lambda: dt.datetime.now(zone).astimezone(zone))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rapport-weekly-digest", daemon=True)
        self.posted: list[str] = []  # slots this process posted (for /rapport status and tests)

    def start(self) -> WeeklyDigest:
        log.info("weekly digest: %s %s to channel %s", self.day, self.at.strftime("%H:%M"), self.channel)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        slot = next_slot(self.now(), self.day, self.at)
        while not self._stop.is_set():
            left = (slot - self.now()).total_seconds()
            if left > 0:
                self._stop.wait(min(left, LOOK_EVERY))
                continue
            try:
                self.post(slot)
            except Exception:
                log.exception("weekly digest for %s failed", slot.isoformat())
            slot = next_slot(max(self.now(), slot), self.day, self.at)

    def post(self, slot: dt.datetime) -> bool:
        """Post the digest for this slot, once across replicas; False when refused or already posted."""
        key = f"weekly-digest:{self.channel}:{slot.date().isoformat()}"
        if not self.rt.dedup.first_time(key, ttl=SLOT_TTL):
            log.info("weekly digest for %s already posted (another replica)", slot.date())
            return False
        verdict = self.rt.channels.check(self.client, self.channel)
        if not verdict.public:
            log.warning("weekly digest refused: not posting to channel %s: %s", self.channel, verdict.reason)
            return False
        try:
            digest = build_digest(self.rt.knowledge.snapshot(), self.rt.knowledge.today())
            blocks = digest_blocks(digest, SHOWN, title=f"Who needs us this week ({digest.as_of.isoformat()})")
            for i, chunk in enumerate(chunk_blocks(blocks)):
                self.client.chat_postMessage(
                    channel=self.channel, blocks=chunk, text=digest_text(digest) if i == 0 else CONTINUED
                )
        except SlackApiError as exc:
            self.rt.dedup.release(key)  # another replica may still post this slot
            log.warning("weekly digest to %s failed: %s", self.channel, exc.response.get("error"))
            return False
        self.posted.append(slot.date().isoformat())
        log.info("weekly digest posted to %s: %d customers", self.channel, len(digest.customers))
        return True


def start_weekly(rt: Runtime, client: WebClient, stack: ExitStack) -> WeeklyDigest | None:
    """Start the weekly post when RAPPORT_DIGEST_CHANNEL is set (`rapport serve` calls this)."""
    if not rt.settings.rapport_digest_channel:
        return None
    weekly = WeeklyDigest(rt, client).start()
    stack.callback(weekly.stop)
    return weekly
