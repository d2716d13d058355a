"""Fixed-window request counters shared through the cache (Redis in production).

Two ways to count, because a Redis round trip (~110 µs) would cost a flag evaluation a third of
its time:
- `hit_strict` (writes, credential checks): one atomic INCR per request. When the cache cannot
  be asked, it raises `CounterUnavailable`: the caller refuses the request (fail closed).
- `hit_lenient` (reads): counts in the process and adds its count to the shared one every
  `SYNC_SECONDS` or every `limit // 50` requests, whichever comes first. The shared total can
  overshoot by what other processes counted since their last sync. When the cache is down, the
  process keeps counting on its own (fail open, but still limited per process).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.core.cache import BaseCache, caches
from django.core.cache.backends.redis import RedisCache
from django_redis.cache import RedisCache as DjangoRedisCache

logger = logging.getLogger(__name__)

SYNC_SECONDS = 0.25
CACHE_RETRY_SECONDS = 2.0
MAX_LOCAL_KEYS = 50_000


_PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600}
_PERIODS |= {"hour": 3600, "d": 86400, "day": 86400}


@lru_cache(maxsize=64)
def parse_rate(rate: str) -> tuple[int, int]:
    """'6000/min' -> (6000, 60)."""
    count, _, unit = rate.partition("/")
    return int(count), _PERIODS[unit.strip().lower()]


class CounterUnavailable(Exception):
    """The shared counter could not be read: strict callers must refuse."""


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends (0 when allowed)


@dataclass(slots=True)
class _Local:
    window: int
    synced: int = 0  # the shared count, as of the last sync
    pending: int = 0  # counted here, not yet added to the shared count
    next_sync: float = 0.0


def _window(period: int, now: float) -> tuple[int, int]:
    """(window index, seconds until it ends, at least 1)."""
    index = int(now // period)
    return index, max(1, math.ceil((index + 1) * period - now))


def _incr(key: str, delta: int, ttl: int) -> int:
    """Add `delta` to the shared counter `key`; returns the new total. One round trip on Redis."""
    backend = caches["default"]
    client = _redis_client(backend, key)
    if client is not None:
        full_key = backend.make_key(key)
        pipe = client.pipeline(transaction=False)
        pipe.incrby(full_key, delta)
        pipe.expire(full_key, ttl)
        total, _ = pipe.execute()
        return int(total)
    backend.add(key, 0, ttl)
    return int(backend.incr(key, delta))


def _redis_client(backend: BaseCache, key: str) -> Any:
    """The raw Redis client behind the cache (django-redis, or Django's own backend), else None."""
    if isinstance(backend, DjangoRedisCache):
        return backend.client.get_client(write=True)
    if isinstance(backend, RedisCache):
        return backend._cache.get_client(key, write=True)
    return None


class RateLimiter:
    def __init__(self) -> None:
        self._local: dict[str, _Local] = {}
        self._lock = threading.Lock()
        self._down_until = 0.0

    def hit_strict(self, key: str, limit: int, period: int) -> Verdict:
        now = time.time()
        index, remaining = _window(period, now)
        if time.monotonic() < self._down_until:
            raise CounterUnavailable(key)
        try:
            total = _incr(f"rl:{key}:{index}", 1, period + 1)
        except Exception as exc:  # any cache failure: refuse, do not guess
            self._mark_down()
            raise CounterUnavailable(key) from exc
        return Verdict(total <= limit, 0 if total <= limit else remaining)

    def hit_lenient(self, key: str, limit: int, period: int) -> Verdict:
        now = time.time()
        index, remaining = _window(period, now)
        with self._lock:
            local = self._local.get(key)
            if local is None or local.window != index:
                if len(self._local) >= MAX_LOCAL_KEYS:
                    self._local.clear()
                local = self._local[key] = _Local(index)
            local.pending += 1
            due = now >= local.next_sync or local.pending >= max(1, limit // 50)
        if due and time.monotonic() >= self._down_until:
            self._sync(key, local, period, now)
        total = local.synced + local.pending
        return Verdict(total <= limit, 0 if total <= limit else remaining)

    def _sync(self, key: str, local: _Local, period: int, now: float) -> None:
        with self._lock:
            delta, local.pending = local.pending, 0
            local.next_sync = now + SYNC_SECONDS
        try:
            local.synced = _incr(f"rl:{key}:{local.window}", delta, period + 1)
        except Exception:  # noqa: BLE001 - reads fail open: keep counting in this process
            logger.warning("throttling: cache unavailable, counting reads per process")
            self._mark_down()
            local.synced += delta

    def _mark_down(self) -> None:
        self._down_until = time.monotonic() + CACHE_RETRY_SECONDS

    def reset(self) -> None:
        """Forget local counts and any outage (tests)."""
        with self._lock:
            self._local.clear()
            self._down_until = 0.0


limiter = RateLimiter()
