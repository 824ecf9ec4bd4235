"""Keep the running bot's index in step with the knowledge folder as admins edit it.

A background thread watches the folder (watchfiles: inotify / FSEvents, or
polling) and, once changes have settled, runs the same incremental sync as
`rapport index`: only changed files are re-embedded, and the knowledge snapshot
is swapped atomically, so questions being answered never see half an update.

The watcher never dies quietly: whatever a file event does (a symlink loop, the
folder moved away), the thread reports the problem to `Health` (so `/healthz`
fails and admins see it), waits, watches again (by polling if watching failed
twice) and re-indexes what it may have missed.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from watchfiles import Change, watch

from bot.index.indexer import IndexBusy, SyncReport
from bot.knowledge.files import FolderError
from bot.services.health import Health
from bot.services.knowledge import Knowledge

log = logging.getLogger(__name__)
RETRY_MAX_SECONDS = 30.0

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
        health: Health | None = None,
        retry_seconds: float = 1.0,
    ) -> None:
        self.knowledge = knowledge
        self.health = health or knowledge.health  # the process's registry (Services.health shares it)
        self.retry_seconds = retry_seconds
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
        Never raises (a filter that raises stops the watch): paths are compared as written, never
        resolved, since resolving a symlink loop raises; when in doubt, the change counts.
        """
        try:
            rel = self._relpath(path)
        except ValueError:
            return True
        if rel == ".." or rel.startswith(".." + os.sep):
            return False
        return not any(part.startswith(".") for part in rel.split(os.sep) if part != ".")

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self._watch(polling=self.force_polling if failures < 2 else True, catch_up=failures > 0)
                return  # stopped
            except Exception as exc:
                failures += 1
                reason = f"{type(exc).__name__}: {str(exc)[:160]}"
                self.last_error = f"cannot watch the knowledge folder {self.root} ({reason}); retrying"
                self.health.report("watcher", False, f"{self.last_error}; edits are not picked up meanwhile")
                log.exception("knowledge watcher failed (folder %s); retrying", self.root)
            finally:
                self._ready.set()
            self._stop.wait(min(RETRY_MAX_SECONDS, self.retry_seconds * 2 ** (failures - 1)))

    def _identity(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self.root)
        except OSError:
            return None
        return info.st_dev, info.st_ino

    def _watch(self, polling: bool | None, catch_up: bool) -> None:
        watched = self._identity()
        if watched is None:
            raise FileNotFoundError(f"{self.root} does not exist")
        changes = watch(
            self.root,
            watch_filter=self.relevant,
            step=self.quiet_ms,
            debounce=self.max_wait_ms,
            stop_event=self._stop,
            yield_on_timeout=True,
            rust_timeout=200,
            force_polling=polling,
            raise_interrupt=False,
        )
        for batch in changes:
            if self._identity() != watched:
                # Moved away, deleted or replaced (`mv knowledge old && mv new knowledge`): the watch
                # follows the old folder, so watch the path again.
                raise FileNotFoundError(f"{self.root} was moved, deleted or replaced")
            if not self._ready.is_set() or catch_up:
                self.health.report("watcher", True)
                self._ready.set()
            if batch or catch_up:  # after a failure, what changed meanwhile was never seen: sync anyway
                log.info("knowledge folder changed (%d paths); re-indexing", len(batch))
                self.sync_now(None if catch_up else [Path(self._relpath(path)).as_posix() for _, path in batch])
                catch_up = False

    def _relpath(self, path: str) -> str:
        """`path` relative to the folder as written (never resolved), in this system's spelling."""
        return os.path.relpath(os.path.abspath(path), os.path.abspath(self.root))

    def sync_now(self, paths: list[str] | None = None) -> SyncReport | None:
        """One incremental sync (of the files in `paths` only, when given: what the watch saw change);
        errors are logged and kept for the admin status, never raised."""
        try:
            report = self.knowledge.sync(wait=30, paths=paths)
        except IndexBusy as exc:
            self.last_error = str(exc)
            self.health.report("index", False, f"re-index skipped: {exc}")
            log.warning("re-index skipped: %s", exc)
            return None
        except FolderError as exc:
            self.last_error = f"{exc}; answering from the last index"
            self.health.report("index", False, self.last_error)
            log.error("re-index skipped: %s", exc)
            return None
        except Exception as exc:
            self.last_error = f"re-indexing failed ({type(exc).__name__}); answering from the last index; see the log"
            self.health.report("index", False, self.last_error)
            log.exception("re-indexing %s failed", self.root)
            return None
        self.last_report, self.last_sync, self.last_error = report, dt.datetime.now(dt.UTC), None
        self.health.report("index", True)
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
