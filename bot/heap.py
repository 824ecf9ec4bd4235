"""Keep what a load builds out of the garbage collector's way.

With 10,000 customers parsed, the process tracks about 600,000 objects. A full collection walks
all of them while holding the GIL: 0.4 s on a quiet machine, 2 s on a busy one, during which no
Slack request is acked. Those objects live until the next load replaces them, and they are freed
by reference counting (a snapshot holds no reference cycles: `tests/test_heap.py` checks it), so
there is nothing for the collector to find in them.

* `loading()`: no collections while a load builds its objects; every one of them is alive until
  the load returns, so each collection would walk the growing heap again for nothing.
* `settle()`: after a load (inside `loading()`: objects made while collections were paused sit
  in the youngest generation, and the first collection after the pause would walk them all) and
  after start-up, what is alive moves to the permanent generation (`gc.freeze()`), which
  collections skip. Frozen objects are still freed when their last reference goes. Cyclic
  garbage frozen by chance (an answer's exception in flight at the time) would stay, so a settle
  asked to (`full=True`, when a reload moved to another index generation) and every FULL_EVERY-th
  settle unfreeze, collect once and freeze again: a pause of about 0.1 s at 10,000 customers, in
  an answer process, once in some fifty reloads. A settle never counts the frozen objects:
  `gc.get_freeze_count()` walks them all, 80 ms at 10,000 customers.
* `let_go()`: a reload's replaced folder, 700,000 objects at 10,000 customers, would be freed in
  one chain of deallocations when its last reference goes: 0.4 s holding the GIL. Instead a
  background thread waits until nothing else holds it (an answer that started on it keeps it whole
  until it ends), holds a reference to every object in it, drops the root, then drops those
  references a slice at a time (STEP seconds each), letting other threads run in between. Nothing
  is ever emptied or changed: an object still used elsewhere simply stays alive.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time
import types
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

FULL_EVERY = 200  # settles (about 4 per reload) between two full passes that free frozen cyclic garbage
STEP = 0.002  # seconds of deallocation between two chances for other threads to run
POLL = 0.05  # seconds between looks at whether anything else still holds what was let go
HOLD_LIMIT = 600.0  # seconds after which what is still held elsewhere is left to reference counting
WALK_BATCH = 512  # objects whose referents are listed in one call
# Never walked into: shared by everything (what a module, a class or a function refers to is not the data let go).
_OPAQUE = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.CodeType)

_lock = threading.Lock()
_loads = 0  # loads running now (in any thread)
_was_enabled = True
_settles = 0  # settles since the last full pass


@contextmanager
def loading() -> Iterator[None]:
    """Pause automatic collections while a folder (or a cache of it) is being built."""
    global _loads, _was_enabled
    with _lock:
        if _loads == 0:
            _was_enabled = gc.isenabled()
        _loads += 1
        gc.disable()
    try:
        yield
    finally:
        with _lock:
            _loads -= 1
            if _loads == 0 and _was_enabled:
                gc.enable()


def settle(full: bool = False) -> None:
    """Freeze what is alive now; a full pass first when asked or every FULL_EVERY settles (module doc)."""
    global _settles
    with _lock:
        _settles += 1
        if full or _settles > FULL_EVERY:
            gc.unfreeze()
            gc.collect()
            _settles = 0
        gc.freeze()


def release() -> None:
    """Make everything collectable again (before a last collection that must close what is unused)."""
    global _settles
    with _lock:
        gc.unfreeze()
        _settles = 0


class _Releaser:
    """The background thread behind `let_go`: one object at a time, in the order they were let go."""

    def __init__(self) -> None:
        self._queue: deque[tuple[object, frozenset[int], float]] = deque()
        self._cond = threading.Condition()
        self._busy = False
        self._thread: threading.Thread | None = None

    def add(self, obj: object, shared: Iterable[object]) -> None:
        with self._cond:
            self._queue.append((obj, frozenset(id(o) for o in shared), time.monotonic()))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="rapport-let-go", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until everything let go so far is freed (or left to reference counting); True if so."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left if left is not None else POLL)
        return True

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue:
                    self._cond.wait()
                self._busy = True
            try:
                self._free_next()
            except Exception as exc:  # freeing in steps is an optimisation: reference counting still frees it
                # Named, not kept: a traceback in a log record would keep its frames, and the folder, alive.
                log.warning("freeing a replaced folder in steps failed (%s: %s)", type(exc).__name__, str(exc))
            with self._cond:
                self._busy = False
                self._cond.notify_all()

    def _free_next(self) -> None:
        with self._cond:
            obj, shared, since = self._queue[0]
        popped = False
        try:
            # Held here by the queue's entry, `obj` and getrefcount's argument: anything more is someone else.
            while sys.getrefcount(obj) > 3 and time.monotonic() - since < HOLD_LIMIT:
                time.sleep(POLL)
            # No collections meanwhile: the young list of 700,000 references would cost each one 40 ms.
            with loading():
                held = _reachable(obj, shared) if sys.getrefcount(obj) <= 3 else []
                with self._cond:
                    self._queue.popleft()  # before the drop: the queue's reference would keep the root
                popped = True
                del obj
                _drop(held)
        finally:
            if not popped:  # failed before the drop: the entry goes, and reference counting frees it
                with self._cond:
                    self._queue.popleft()
                obj = None  # noqa: F841 (the traceback keeps this frame, not what it held)


def _reachable(root: object, shared: frozenset[int]) -> list[object]:
    """Every object the collector tracks that `root` leads to, breadth first, without walking into
    `shared` ones, classes, modules or functions. Listed in batches, so no call holds the GIL long."""
    seen = {id(root)}  # only objects more than one other object refers to: most have one parent
    held: list[object] = [root]
    done = 0
    worked = time.perf_counter()
    while done < len(held):
        if time.perf_counter() - worked > STEP:
            time.sleep(STEP)  # background work: half the time at most, so other threads get the GIL at once
            worked = time.perf_counter()
        batch = held[done : done + WALK_BATCH]
        done += len(batch)
        for child in gc.get_referents(*batch):
            if not gc.is_tracked(child) or isinstance(child, _OPAQUE) or id(child) in shared:
                continue
            # Referred to by its parent, the list of referents, `child` and this call's argument: 4 means
            # one parent, which is listed once, so the child cannot be met again and needs no `seen`.
            if sys.getrefcount(child) > 4:
                if id(child) in seen:
                    continue
                seen.add(id(child))
            held.append(child)
    return held


def _drop(held: list[object]) -> None:
    """Drop the references a slice at a time, sizing slices to take about STEP each. Shallowest first:
    an object freed only lets go of children that `held` still keeps, so no slice starts a chain."""
    held.reverse()
    size = 256
    while held:
        started = time.perf_counter()
        del held[-size:]
        took = time.perf_counter() - started
        size = max(64, min(65536, int(size * STEP / took) if took > 0 else size * 2))
        time.sleep(STEP)  # as long as the slice: a thread waiting for the GIL gets it at once


_releaser = _Releaser()


def let_go(obj: object, shared: Iterable[object] = ()) -> None:
    """Free `obj` in the background, a slice at a time, once nothing else holds it (the caller must
    drop its own references after this call). `shared`: objects it refers to that live on elsewhere,
    not walked into."""
    _releaser.add(obj, shared)


def wait_released(timeout: float | None = None) -> bool:
    """Wait until what was let go is freed: for tests, benchmarks and a process that must know."""
    return _releaser.wait(timeout)
