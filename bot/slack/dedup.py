"""Once per Slack event: Slack retries (X-Slack-Retry-Num) and replays must never answer twice.

Bolt does not deduplicate. An event's key is the envelope's `event_id`, which
stays the same across retries. Slash commands and interactions have no such id:
a replayed request (same signed body, same timestamp, accepted for Slack's five
minutes) is keyed on its timestamp and body. One process keeps the keys in
memory; replicas behind a load balancer share a Redis (`SET key 1 NX EX ttl`,
one atomic round trip). While Redis is unreachable each replica falls back to
its own memory, says so loudly in the log and in health, and goes back to
Redis by itself when it answers again.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import threading
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)

DEFAULT_TTL = 3600.0  # Slack retries within minutes; an hour leaves a wide margin
REPLAY_TTL = 600.0  # a signed request is accepted for 5 minutes either side of its timestamp
PROBE_EVERY = 2.0  # seconds between checks that an unreachable Redis is back


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

    def ping(self) -> Any: ...


class RedisDedup:
    """Shared by replicas: `RedisDedup(redis.Redis.from_url(url))`."""

    def __init__(self, client: RedisLike, prefix: str = "rapport:once:") -> None:
        self.client = client
        self.prefix = prefix

    def first_time(self, key: str, ttl: float = DEFAULT_TTL) -> bool:
        return bool(self.client.set(self.prefix + key, "1", nx=True, ex=max(1, int(ttl))))

    def release(self, key: str) -> None:
        self.client.delete(self.prefix + key)


class Reporter(Protocol):
    def report(self, name: str, ok: bool, detail: str = "") -> None: ...


class SharedDedup:
    """Redis shared by the replicas, with this process's memory as the fallback while Redis is down.

    A key this replica has seen is a repeat whatever Redis says; otherwise Redis decides. When a
    call to Redis fails, the event is still answered (deduplicated in memory only: a retry that
    reaches another replica could be answered twice), the outage is logged at ERROR once and shown
    in health, and a background probe brings Redis back as soon as it answers a PING.
    """

    def __init__(self, client: RedisLike, health: Reporter | None = None, where: str = "Redis") -> None:
        self.shared = RedisDedup(client)
        self.local = MemoryDedup()
        self.health = health
        self.where = where
        self._lock = threading.Lock()
        self._down_since: float | None = None

    @property
    def degraded(self) -> bool:
        return self._down_since is not None

    def first_time(self, key: str, ttl: float = DEFAULT_TTL) -> bool:
        if not self.local.first_time(key, ttl):
            return False
        if self.degraded:
            return True
        try:
            return self.shared.first_time(key, ttl)
        except Exception as exc:
            self._down(exc)
            return True

    def release(self, key: str) -> None:
        self.local.release(key)
        if not self.degraded:
            try:
                self.shared.release(key)
            except Exception as exc:
                self._down(exc)

    def _down(self, exc: Exception) -> None:
        with self._lock:
            if self._down_since is not None:
                return
            self._down_since = time.time()
        log.error(
            "%s is unreachable (%s): deduplicating Slack retries in this process only until it is back",
            self.where,
            type(exc).__name__,
        )
        if self.health is not None:
            self.health.report(
                "dedup",
                False,
                f"{self.where} is unreachable: each replica deduplicates Slack retries on its own "
                "(a retry reaching another replica may be answered twice)",
            )
        threading.Thread(target=self._probe, name="rapport-redis-probe", daemon=True).start()

    def _probe(self) -> None:
        while True:
            time.sleep(PROBE_EVERY)
            try:
                self.shared.client.ping()
            except Exception:
                continue
            with self._lock:
                since, self._down_since = self._down_since, None
            log.warning(
                "%s is back after %.0f s: deduplication is shared again", self.where, time.time() - (since or 0)
            )
            if self.health is not None:
                self.health.report("dedup", True)
            return


def dedup_store(redis_url: str | None, health: Reporter | None = None) -> DedupStore:
    """Redis when a URL is configured (replicas), else memory (one process)."""
    if not redis_url:
        return MemoryDedup()
    try:
        redis = importlib.import_module("redis")
        retry = importlib.import_module("redis.retry")
        backoff = importlib.import_module("redis.backoff")
    except ImportError as exc:
        raise RuntimeError("a Redis URL is configured but the `redis` package is not installed") from exc
    # Short timeouts and no retries: while Redis is down an ack must not wait on it (Slack allows 3 s).
    client = redis.Redis.from_url(
        redis_url, socket_connect_timeout=0.5, socket_timeout=0.5, retry=retry.Retry(backoff.NoBackoff(), 0)
    )
    parts = urllib.parse.urlsplit(redis_url)  # host and port only: never the password
    return SharedDedup(client, health, where=f"Redis at {parts.hostname}:{parts.port or 6379}")


def once_key(body: dict[str, Any], request: Any) -> tuple[str, float] | None:
    """The key and time-to-live that make this request happen once, or None (no key: always handled)."""
    if body.get("type") == "event_callback":
        event_id = body.get("event_id")
        return (f"event:{event_id}", DEFAULT_TTL) if event_id else None
    if body.get("type") in ("url_verification", "ssl_check"):
        return None
    stamp = (request.headers.get("x-slack-request-timestamp") or [""])[0]
    if not stamp:
        return None  # Socket Mode: no replay to fear on our own authenticated connection
    raw = request.raw_body if isinstance(request.raw_body, str) else ""
    digest = hashlib.sha256(f"{stamp}:{raw}".encode()).hexdigest()
    return f"request:{digest}", REPLAY_TTL


def event_dedup_middleware(store: DedupStore) -> Callable[..., BoltResponse | None]:
    """Global Bolt middleware: a repeated event_id, or a replayed command or click, is acked and goes no further."""

    def deduplicate_events(body: dict[str, Any], request: Any, next: Callable[[], None]) -> BoltResponse | None:
        if request.lazy_only:  # the lazy half of a request this middleware already let through once
            next()
            return None
        found = once_key(body, request)
        if found is not None and not store.first_time(found[0], found[1]):
            retry = (request.headers.get("x-slack-retry-num") or ["-"])[0]
            log.info("%s already handled (retry %s): acknowledged, not answered again", found[0][:48], retry[:8])
            return BoltResponse(status=200, body="")
        next()
        return None

    return deduplicate_events
