"""Once per Slack event: Slack retries (X-Slack-Retry-Num) and replays must never answer twice.

Bolt does not deduplicate. The key is the envelope's `event_id`, which stays
the same across retries. One process keeps the keys in memory; replicas behind
a load balancer share a Redis (`SET key 1 NX EX ttl`, one atomic round trip).
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)

DEFAULT_TTL = 3600.0  # Slack retries within minutes; an hour leaves a wide margin


class DedupStore(Protocol):
    def first_time(self, key: str, ttl: float = DEFAULT_TTL) -> bool:
        """True exactly once per key while the key lives; False for every repeat."""
        ...

    def release(self, key: str) -> None:
        """Forget a key (the work it guarded failed and may be tried again)."""
        ...


class MemoryDedup:
    """In-process TTL store: enough for one process (Socket Mode, or one HTTP server)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000) -> None:
        self.clock = clock
        self.max_keys = max_keys
        self._expires: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, key: str, ttl: float = DEFAULT_TTL) -> bool:
        now = self.clock()
        with self._lock:
            self._prune(now)
            expires = self._expires.get(key)
            if expires is not None and expires > now:
                return False
            self._expires[key] = now + ttl
            self._expires.move_to_end(key)
            return True

    def release(self, key: str) -> None:
        with self._lock:
            self._expires.pop(key, None)

    def _prune(self, now: float) -> None:
        while self._expires:
            key, expires = next(iter(self._expires.items()))
            if expires > now and len(self._expires) < self.max_keys:
                break
            del self._expires[key]


class RedisLike(Protocol):
    """The one call RedisDedup needs; `redis.Redis` has it (redis-py is not a dependency)."""

    def set(self, name: str, value: str, *, nx: bool = ..., ex: int | None = ...) -> Any: ...

    def delete(self, *names: str) -> Any: ...


class RedisDedup:
    """Shared by replicas: `RedisDedup(redis.Redis.from_url(url))`."""

    def __init__(self, client: RedisLike, prefix: str = "rapport:once:") -> None:
        self.client = client
        self.prefix = prefix

    def first_time(self, key: str, ttl: float = DEFAULT_TTL) -> bool:
        return bool(self.client.set(self.prefix + key, "1", nx=True, ex=max(1, int(ttl))))

    def release(self, key: str) -> None:
        self.client.delete(self.prefix + key)


def dedup_store(redis_url: str | None) -> DedupStore:
    """Redis when a URL is configured (replicas), else memory (one process)."""
    if not redis_url:
        return MemoryDedup()
    try:
        redis = importlib.import_module("redis")
    except ImportError as exc:
        raise RuntimeError("a Redis URL is configured but the `redis` package is not installed") from exc
    return RedisDedup(redis.Redis.from_url(redis_url))


def event_dedup_middleware(store: DedupStore) -> Callable[..., BoltResponse | None]:
    """Global Bolt middleware: a repeated event_id is acknowledged and goes no further."""

    def deduplicate_events(body: dict[str, Any], request: Any, next: Callable[[], None]) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not store.first_time(f"event:{event_id}"):
            retry = (request.headers.get("x-slack-retry-num") or ["-"])[0]
            log.info("event %s already handled (retry %s): acknowledged, not answered again", event_id, retry)
            return BoltResponse(status=200, body="")
        next()
        return None

    return deduplicate_events
