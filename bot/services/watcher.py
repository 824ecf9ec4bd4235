"""Keep the running bot's index in step with the knowledge folder as admins edit it.

A background thread watches the folder (watchfiles: inotify / FSEvents, or
polling) and, once changes have settled, runs the same incremental sync as
`rapport index`: only changed files are re-embedded, and the knowledge snapshot
is swapped atomically, so questions being answered never see half an update.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from watchfiles import Change, watch

from bot.index.indexer import IndexBusy, SyncReport
from bot.services.knowledge import Knowledge

log = logging.getLogger(__name__)

OnSync = Callable[[SyncReport], None]


class KnowledgeWatcher:
    """Debounced: a burst of edits (a `git pull`, an editor's save dance) gives one sync."""

    def __init__(
        self,
        knowledge: Knowledge,
        *,
        quiet_ms: int = 400,
        max_wait_ms: int = 3000,
        on_sync: OnSync | None = None,
        force_polling: bool | None = None,
    ) -> None:
        self.knowledge = knowledge
        self.quiet_ms = quiet_ms
        self.max_wait_ms = max_wait_ms
        self.on_sync = on_sync
        self.force_polling = force_polling
        self.last_report: SyncReport | None = None
        self.last_sync: dt.datetime | None = None
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    @property
    def root(self) -> Path:
        return self.knowledge.root

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="rapport-watcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

    def wait_ready(self, timeout: float = 5) -> bool:
        """True once the watcher is watching (tests edit files only after that)."""
        return self._ready.wait(timeout)

    def relevant(self, change: Change, path: str) -> bool:
        """Anything in the folder but dot-paths (.git, editor swap files, our own atomic-write temp files).

        Folders count too: renaming `customers/old` to `customers/_old` must drop its files from the index.
        """
        try:
            rel = Path(path).resolve().relative_to(self.root.resolve())
        except ValueError:
            return False
        return not any(part.startswith(".") for part in rel.parts)

    def _run(self) -> None:
        try:
            changes = watch(
                self.root,
                watch_filter=self.relevant,
                step=self.quiet_ms,
                debounce=self.max_wait_ms,
                stop_event=self._stop,
                yield_on_timeout=True,
                rust_timeout=200,
                force_polling=self.force_polling,
                raise_interrupt=False,
            )
            for batch in changes:
                self._ready.set()
                if batch:
                    log.info("knowledge folder changed (%d paths); re-indexing", len(batch))
                    self.sync_now()
        except Exception:
            self.last_error = "the knowledge folder watcher stopped; see the log"
            log.exception("knowledge watcher stopped (folder %s)", self.root)
        finally:
            self._ready.set()

    def sync_now(self) -> SyncReport | None:
        """One incremental sync; errors are logged and kept for the admin status, never raised."""
        try:
            report = self.knowledge.sync(wait=30)
        except IndexBusy as exc:
            self.last_error = str(exc)
            log.warning("re-index skipped: %s", exc)
            return None
        except Exception:
            self.last_error = "re-indexing failed; see the log"
            log.exception("re-indexing %s failed", self.root)
            return None
        self.last_report, self.last_sync, self.last_error = report, dt.datetime.now(dt.UTC), None
        if report.added or report.changed or report.deleted:
            log.info(
                "re-indexed: %d added, %d changed, %d deleted; %d problems",
                len(report.added),
                len(report.changed),
                len(report.deleted),
                len(report.problems),
            )
        if self.on_sync is not None:
            self.on_sync(report)
        return report
