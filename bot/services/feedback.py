"""What happened to the drafts Rapport showed: an append-only JSON-lines log an admin can read.

One line per event (a draft shown, logged as sent, marked helpful or not
helpful), keyed by a draft id the Slack buttons carry. From it, the draft
acceptance rate: drafts logged as sent or marked helpful, out of drafts shown.
Lines hold ids and codes only, never draft text: the knowledge folder stays
the one place customer data lives. Erasing a customer removes their id from
every line (`forget_customer`); the line stays, so the acceptance rate does too.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from filelock import FileLock
from pydantic import BaseModel, ValidationError

from bot.config import Settings
from bot.index.manifest import atomic_write

log = logging.getLogger(__name__)

FeedbackKind = Literal["shown", "sent", "helpful", "not_helpful"]
FILE_NAME = "feedback.jsonl"


class FeedbackEvent(BaseModel):
    at: dt.datetime
    kind: FeedbackKind
    draft: str
    customer: str | None = None
    user: str | None = None
    channel: str | None = None  # the draft's channel: email, sms, ...
    origin: str | None = None  # mention, dm, shortcut, refine, ...
    mode: str | None = None  # llm | offline


@dataclass(frozen=True)
class Acceptance:
    shown: int = 0
    sent: int = 0
    helpful: int = 0
    not_helpful: int = 0
    accepted: int = 0  # sent or (latest vote) helpful, each draft counted once

    @property
    def rate(self) -> float | None:
        return self.accepted / self.shown if self.shown else None


def new_draft_id() -> str:
    return uuid.uuid4().hex[:12]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class FeedbackLog:
    def __init__(self, path: Path, clock: Callable[[], dt.datetime] = _now) -> None:
        self.path = path
        self.clock = clock
        self._lock = threading.Lock()
        # Replicas append to one file; an erasure rewrites it: the file lock keeps them from losing lines.
        self._file_lock = FileLock(str(path.parent / f".{path.name}.lock"), thread_local=False)

    @classmethod
    def for_settings(cls, settings: Settings) -> FeedbackLog:
        return cls(settings.state_dir / FILE_NAME)

    def record(
        self,
        kind: FeedbackKind,
        draft: str,
        *,
        customer: str | None = None,
        user: str | None = None,
        channel: str | None = None,
        origin: str | None = None,
        mode: str | None = None,
    ) -> FeedbackEvent:
        event = FeedbackEvent(
            at=self.clock(),
            kind=kind,
            draft=draft,
            customer=customer,
            user=user,
            channel=channel,
            origin=origin,
            mode=mode,
        )
        line = event.model_dump_json(exclude_none=True) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._file_lock, self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
        return event

    def forget_customer(self, customer_id: str) -> int:
        """Remove a customer's id from every line (an erasure); returns how many lines named them."""
        if not self.path.exists():
            return 0
        with self._lock, self._file_lock:
            kept: list[str] = []
            changed = 0
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    data = json.loads(line)
                except ValueError:
                    data = None
                if isinstance(data, dict) and data.get("customer") == customer_id:
                    del data["customer"]
                    line = json.dumps(data, separators=(",", ":"))
                    changed += 1
                elif not isinstance(data, dict) and customer_id in line:
                    changed += 1  # unreadable, and it names them: dropped
                    continue
                kept.append(line)
            if changed:
                atomic_write(self.path, "".join(f"{k}\n" for k in kept))
        return changed

    def events(self) -> Iterator[FeedbackEvent]:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    yield FeedbackEvent.model_validate_json(line)
                except ValidationError:
                    log.warning("%s:%d: unreadable feedback line skipped", self.path, number)

    def acceptance(self, since: dt.datetime | None = None) -> Acceptance:
        """Acceptance of the drafts shown since `since` (all time when None)."""
        shown: set[str] = set()
        sent: set[str] = set()
        vote: dict[str, bool] = {}
        for event in self.events():
            if event.kind == "shown":
                if since is None or event.at >= since:
                    shown.add(event.draft)
            elif event.kind == "sent":
                sent.add(event.draft)
            else:
                vote[event.draft] = event.kind == "helpful"  # the latest vote counts
        sent &= shown
        helpful = {d for d, good in vote.items() if good and d in shown}
        not_helpful = {d for d, good in vote.items() if not good and d in shown}
        return Acceptance(
            shown=len(shown),
            sent=len(sent),
            helpful=len(helpful),
            not_helpful=len(not_helpful),
            accepted=len(sent | helpful),
        )
