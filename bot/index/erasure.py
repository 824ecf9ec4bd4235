"""Erasure as a recorded, resumable operation.

`rapport forget` (or a customer file an admin deleted) first writes a pending-erasure record
(`CHROMA_PATH/erasures.json`, fsynced), then removes the file, then the index is compacted into a
new generation holding only the records the manifest knows, and the old generation is removed. The
record is cleared last. A process killed at any step leaves the record behind, and the next
`rapport index`, `serve`, `ask` or `lookup` that takes the writer lock finishes the job.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from filelock import FileLock
from pydantic import BaseModel, Field, ValidationError

from bot.index.manifest import atomic_write

FILE = "erasures.json"


class Erasure(BaseModel):
    customer_id: str | None = None  # set by `forget`: every file Rapport writes is scrubbed of it
    paths: list[str] = Field(default_factory=list)  # knowledge files to delete (relative to the folder)
    reason: str = "forget"  # forget | removed (files an admin deleted: only the index needs compacting)
    at: str = ""

    def key(self) -> tuple[str | None, tuple[str, ...], str, str]:
        return (self.customer_id, tuple(self.paths), self.reason, self.at)


class Pending(BaseModel):
    pending: list[Erasure] = Field(default_factory=list)


class Erasures:
    def __init__(self, index_dir: Path) -> None:
        self.path = index_dir / FILE
        self._lock = FileLock(str(index_dir / "erasures.lock"), thread_local=False)

    def pending(self) -> list[Erasure]:
        if not self.path.exists():
            return []
        try:
            return Pending.model_validate_json(self.path.read_text(encoding="utf-8")).pending
        except (ValidationError, ValueError) as exc:
            # Never silently dropped: an unreadable record means an erasure may be unfinished.
            raise RuntimeError(f"{self.path}: unreadable pending-erasure record ({type(exc).__name__})") from exc

    def begin(self, customer_id: str | None, paths: list[str], reason: str = "forget") -> Erasure:
        """Record the erasure on disk before anything is removed."""
        record = Erasure(customer_id=customer_id, paths=paths, reason=reason, at=_now())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            records = self.pending()
            records.append(record)
            atomic_write(self.path, Pending(pending=records).model_dump_json())
        return record

    def finish(self, done: list[Erasure]) -> None:
        """Clear the records of finished erasures (the file goes when none is left)."""
        if not done:
            return
        keys = {r.key() for r in done}
        with self._lock:
            left = [r for r in self.pending() if r.key() not in keys]
            if left:
                atomic_write(self.path, Pending(pending=left).model_dump_json())
            else:
                self.path.unlink(missing_ok=True)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
