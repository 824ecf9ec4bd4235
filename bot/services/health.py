"""What is wrong with this process right now, for `/healthz`, `/rapport status` and App Home.

Each part of the bot that can fail quietly (the knowledge watcher, the shared dedup store, the
replica's view of the index) reports here by name; a problem clears when the part reports ok again.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    name: str  # "watcher", "dedup", "index"
    detail: str  # one sentence an admin can act on
    since: float  # time.time() when it started


class Health:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._problems: dict[str, Problem] = {}

    def report(self, name: str, ok: bool, detail: str = "") -> None:
        with self._lock:
            if ok:
                self._problems.pop(name, None)
            elif name not in self._problems or self._problems[name].detail != detail:
                since = self._problems[name].since if name in self._problems else time.time()
                self._problems[name] = Problem(name, detail, since)

    def problems(self) -> list[Problem]:
        with self._lock:
            return sorted(self._problems.values(), key=lambda p: p.name)

    @property
    def ok(self) -> bool:
        return not self.problems()
