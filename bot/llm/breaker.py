"""A circuit breaker: after a string of failures, stop calling the model for a while.

Without it every Slack request would wait out the full timeout while the
model is down. Closed: calls go through. Open (after `threshold` failures in
a row): calls are refused at once until `cooldown` seconds pass. Half-open:
one trial call goes through; success closes the breaker, failure opens it
again. Shared by every thread of the bot, so all state sits behind one lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Literal

log = logging.getLogger(__name__)

State = Literal["closed", "open", "half_open"]
FAILURE_THRESHOLD = 3
COOLDOWN_SECONDS = 60.0


class CircuitBreaker:
    def __init__(
        self,
        threshold: int = FAILURE_THRESHOLD,
        cooldown: float = COOLDOWN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if threshold < 1 or cooldown < 0:
            raise ValueError("threshold must be at least 1 and cooldown not negative")
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._state: State = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._trial_started: float | None = None

    @property
    def state(self) -> State:
        with self._lock:
            return self._state

    def allow(self) -> bool:
        """May a call go out now? In half-open state only one trial at a time gets a yes."""
        with self._lock:
            now = self._clock()
            if self._state == "closed":
                return True
            if self._state == "open":
                if now - self._opened_at < self.cooldown:
                    return False
                self._state = "half_open"
                log.info("circuit half-open: trying the language model again")
            # A trial that never reported back (its thread died) must not block the breaker forever.
            if self._trial_started is not None and now - self._trial_started < self.cooldown:
                return False
            self._trial_started = now
            return True

    def success(self) -> None:
        with self._lock:
            if self._state != "closed":
                log.info("circuit closed: the language model answered")
            self._state, self._failures, self._trial_started = "closed", 0, None

    def failure(self) -> None:
        with self._lock:
            self._failures += 1
            self._trial_started = None
            if self._state == "half_open" or self._failures >= self.threshold:
                if self._state != "open":
                    log.warning(
                        "circuit open: %d failures in a row; not calling the model for %.0f s",
                        self._failures,
                        self.cooldown,
                    )
                self._state, self._opened_at = "open", self._clock()

    def retry_in(self) -> float:
        """Seconds until a trial call is allowed (0 when calls go through)."""
        with self._lock:
            if self._state != "open":
                return 0.0
            return max(0.0, self.cooldown - (self._clock() - self._opened_at))
