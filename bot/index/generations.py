"""Generations of the index, and removing the old ones once no question is reading them.

A compaction or a full rebuild writes a new generation (a folder `gen-N`, or collections named
`rapport_gN_*` on a Chroma server) and commits it by writing the manifest. Answers that started
before the commit still read the old generation, in this process or in a replica. Every process
that opens a generation holds a shared `flock` on `readers/gen-N.lock` for as long as it has it
open; the kernel drops the lock when a process ends, even by kill -9. The owner removes an old
generation once it can take that lock exclusively, or after `GRACE` seconds whatever happens (an
erasure must not wait on a stuck replica: a reader that loses its generation re-reads the manifest
and asks the new one).
"""

from __future__ import annotations

import atexit
import fcntl
import gc
import logging
import os
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from pathlib import Path

from bot import heap

log = logging.getLogger(__name__)

GRACE = 120.0  # seconds an old generation may outlive its commit while answers still read it
POLL = 0.1
READERS = "readers"
GEN_DIR = re.compile(r"^gen-(\d{6,})$")


def lock_path(index_dir: Path, generation: int) -> Path:
    return index_dir / READERS / f"gen-{generation:06d}.lock"


class ReaderLock:
    """A shared lock on one generation, held while this process has the generation open."""

    def __init__(self, index_dir: Path, generation: int) -> None:
        path = lock_path(index_dir, generation)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.generation = generation
        self._fd: int | None = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_SH)  # waits only while the owner is removing this generation

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing drops the flock


def _exclusive(index_dir: Path, generation: int) -> int | None:
    """An fd holding the generation's lock exclusively, or None while some process reads it."""
    path = lock_path(index_dir, generation)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


class Reaper:
    """Removes retired generations: at once when nobody reads them, else as soon as the last reader lets go."""

    def __init__(
        self,
        index_dir: Path,
        remove: Callable[[int], None],
        current: Callable[[], int | None],
        grace: float = GRACE,
    ) -> None:
        self.dir = index_dir
        self.remove = remove
        self.current = current  # the committed generation (never removed)
        self.grace = grace
        self._pending: dict[int, float] = {}  # generation -> deadline
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        _REAPERS.add(self)

    @property
    def pending(self) -> list[int]:
        with self._cond:
            return sorted(self._pending)

    def retire(self, generations: Iterable[int]) -> None:
        """Schedule removal; tried at once, then in the background until the readers are gone."""
        with self._cond:
            for generation in generations:
                self._pending.setdefault(generation, time.monotonic() + self.grace)
        self.collect()
        with self._cond:
            if self._pending and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._run, name="rapport-reaper", daemon=True)
                self._thread.start()

    def collect(self, force: bool = False) -> bool:
        """One pass over the retired generations; True when none is left."""
        with self._cond:
            todo = dict(self._pending)
        now = time.monotonic()
        for generation, deadline in todo.items():
            if self._remove(generation, force or now >= deadline):
                with self._cond:
                    self._pending.pop(generation, None)
                    self._cond.notify_all()
        with self._cond:
            return not self._pending

    def drain(self, timeout: float | None = None) -> bool:
        """Wait for retired generations to go (at exit: a short-lived `rapport forget` finishes its erasure)."""
        deadline = time.monotonic() + (self.grace if timeout is None else timeout)
        while not self.collect():
            if time.monotonic() >= deadline:
                return self.collect(force=True)
            time.sleep(POLL)
        return True

    def _run(self) -> None:
        while not self.collect():
            time.sleep(POLL)

    def _remove(self, generation: int, force: bool) -> bool:
        if generation == self.current():
            return True  # committed again (cannot happen by design): never remove what readers are told to use
        fd = _exclusive(self.dir, generation)
        if fd is None and not force:
            return False
        if fd is None:
            log.warning(
                "removing index generation %d although a process still reads it (after %.0f s)", generation, self.grace
            )
        try:
            self.remove(generation)
            lock_path(self.dir, generation).unlink(missing_ok=True)
        except Exception:
            log.exception("could not remove index generation %d; retrying", generation)
            return False
        finally:
            if fd is not None:
                os.close(fd)
        log.info("index generation %d removed", generation)
        return True


_REAPERS: weakref.WeakSet[Reaper] = weakref.WeakSet()


EXIT_WAIT = 15.0  # seconds a process that is ending waits for replicas to let go of what it retired


@atexit.register
def _drain_at_exit() -> None:
    """A short-lived `rapport forget` or `rapport index` finishes removing what it retired before it exits.

    This process's own stores are about to go anyway; replicas reload within a second or two.
    """
    pending = [reaper for reaper in list(_REAPERS) if reaper.pending]
    if not pending:
        return
    heap.release()  # frozen stores in a reference cycle are collectable again
    gc.collect()  # stores this process no longer uses release their reader locks
    for reaper in pending:
        reaper.drain(timeout=min(reaper.grace, EXIT_WAIT))


def local_generations(index_dir: Path) -> set[int]:
    """Generations with a folder or a reader lock file under the index folder."""
    found: set[int] = set()
    if index_dir.is_dir():
        found |= {int(m[1]) for p in index_dir.iterdir() if (m := GEN_DIR.match(p.name)) and p.is_dir()}
    readers = index_dir / READERS
    if readers.is_dir():
        found |= {int(m[1]) for p in readers.iterdir() if (m := GEN_DIR.match(p.name.removesuffix(".lock")))}
    return found


def remove_temp_files(index_dir: Path) -> None:
    """Temporary files of atomic writes a killed process left behind (`.manifest.json.XXXX.tmp`)."""
    if index_dir.is_dir():
        for p in index_dir.glob(".*.tmp"):
            p.unlink(missing_ok=True)
