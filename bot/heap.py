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
  collections skip. Frozen objects are still freed when their last
  reference goes. Cyclic garbage frozen by chance (an answer's exception in flight at the time)
  would stay, so a settle asked to (`full=True`) and any settle that finds the frozen set grown
  by half since the last full pass unfreeze, collect once and freeze again. The first settle only
  freezes: a full pass there would cost a cold `rapport ask` 0.4 s at 10,000 customers to free
  the little that importing left behind.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

GROWTH = 1.5  # frozen objects, over the count after the last full pass, that earn another full pass

_lock = threading.Lock()
_loads = 0  # loads running now (in any thread)
_was_enabled = True
_baseline = 0  # frozen objects after the last full pass (0: none yet)


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
    """Freeze what is alive now; see the module's doc for when it collects first."""
    global _baseline
    with _lock:
        gc.freeze()
        frozen = gc.get_freeze_count()
        if full or (_baseline and frozen > GROWTH * _baseline):
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            _baseline = max(1, gc.get_freeze_count())
        elif not _baseline:
            _baseline = max(1, frozen)


def release() -> None:
    """Make everything collectable again (before a last collection that must close what is unused)."""
    global _baseline
    with _lock:
        gc.unfreeze()
        _baseline = 0
