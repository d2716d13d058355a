"""The cache backend: django-redis on `REDIS_URL` (or Redis Sentinel), else local memory.

Short socket timeouts: a Redis that is down or hangs must cost a request milliseconds, not
seconds. Failures are raised, never swallowed (no `IGNORE_EXCEPTIONS`): the flag store falls back
to the database on its own, and writes, logins and strict throttles refuse cleanly instead of
failing open.
"""

from __future__ import annotations

from typing import Any

from llmhub.settings.env import env_int, env_list, env_str

REDIS_URL = env_str("REDIS_URL")
REDIS_SOCKET_TIMEOUT = float(env_str("REDIS_SOCKET_TIMEOUT", "0.25"))
# Connections each process may hold open to Redis (django-redis keeps one pool per process).
REDIS_MAX_CONNECTIONS = env_int("REDIS_MAX_CONNECTIONS", 50)
# Seconds after which an idle pooled connection is pinged before use (0: never), so a Redis
# restart costs one failed command at most, not one per stale connection.
REDIS_HEALTH_CHECK_INTERVAL = env_int("REDIS_HEALTH_CHECK_INTERVAL", 30)
# Sentinel: "host:port,host:port". REDIS_URL then names the master by its service name:
# redis://mymaster/0 (the host part is the Sentinel service, not a machine).
REDIS_SENTINELS = env_list("REDIS_SENTINELS")


def _sentinels(entries: list[str]) -> list[tuple[str, int]]:
    pairs = []
    for entry in entries:
        host, _, port = entry.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"REDIS_SENTINELS entries are host:port, got {entry!r}")
        pairs.append((host, int(port)))
    return pairs


def redis_cache(url: str, sentinels: list[str]) -> dict[str, Any]:
    """The CACHES entry for django-redis on `url` (through Sentinel when `sentinels` is set)."""
    options: dict[str, Any] = {
        "SOCKET_CONNECT_TIMEOUT": REDIS_SOCKET_TIMEOUT,
        "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
        "CONNECTION_POOL_KWARGS": {
            "max_connections": REDIS_MAX_CONNECTIONS,
            "health_check_interval": REDIS_HEALTH_CHECK_INTERVAL,
        },
    }
    if sentinels:
        options["CLIENT_CLASS"] = "django_redis.client.SentinelClient"
        options["CONNECTION_FACTORY"] = "django_redis.pool.SentinelConnectionFactory"
        options["SENTINELS"] = _sentinels(sentinels)
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "llmhub"),
        "OPTIONS": options,
    }


CACHES: dict[str, dict[str, Any]] = (
    {"default": redis_cache(REDIS_URL, REDIS_SENTINELS)}
    if REDIS_URL
    else {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
)
