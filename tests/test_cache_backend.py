"""The cache is django-redis: pool settings from the environment, Sentinel, failures raised.

A Redis that is down must be reported to the code that asked (no IGNORE_EXCEPTIONS), so the
flag store falls back to the database and strict throttles refuse instead of failing open.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.cache import caches
from django.test import override_settings

from flags.tests.support.services import _wait_for_port, private_redis
from llmhub.api.ratelimit import CounterUnavailable, RateLimiter
from llmhub.settings.cache import redis_cache
from tests.system.postgres import port_for_faults

ROOT = Path(__file__).resolve().parents[1]


def _cache_settings(**env: str) -> dict[str, object]:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps(s.CACHES['default'], default=str))"
    )
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env}
    full_env["DJANGO_SETTINGS_MODULE"] = "llmhub.settings.local"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=full_env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_settings__redis_url__django_redis_with_short_timeouts_and_env_pool() -> None:
    cache = _cache_settings(
        REDIS_URL="redis://127.0.0.1:6379/6", REDIS_MAX_CONNECTIONS="7", REDIS_SOCKET_TIMEOUT="0.1"
    )
    options = cache["OPTIONS"]
    assert cache["BACKEND"] == "django_redis.cache.RedisCache"
    assert isinstance(options, dict)
    assert options["SOCKET_TIMEOUT"] == options["SOCKET_CONNECT_TIMEOUT"] == 0.1
    assert options["CONNECTION_POOL_KWARGS"]["max_connections"] == 7
    # Failures must reach the caller: throttles fail closed, the store falls back to the DB.
    assert "IGNORE_EXCEPTIONS" not in options


def test_settings__sentinels__sentinel_client_and_pairs() -> None:
    cache = _cache_settings(
        REDIS_URL="redis://mymaster/0", REDIS_SENTINELS="10.0.0.1:26379, sentinel-2:26380"
    )
    options = cache["OPTIONS"]
    assert isinstance(options, dict)
    assert options["CLIENT_CLASS"] == "django_redis.client.SentinelClient"
    assert options["SENTINELS"] == [["10.0.0.1", 26379], ["sentinel-2", 26380]]


def test_settings__malformed_sentinel__refused_naming_the_setting() -> None:
    code = "import django; django.setup()"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "llmhub.settings.local",
        "REDIS_URL": "redis://mymaster/0",
        "REDIS_SENTINELS": "no-port-here",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode != 0 and "REDIS_SENTINELS" in done.stderr


def _django_redis(url: str) -> dict[str, object]:
    return {"default": redis_cache(url, [])}


@pytest.mark.redis
def test_redis_down__cache_raises_fast__strict_counter_refuses() -> None:
    with private_redis() as (process, url), override_settings(CACHES=_django_redis(url)):
        cache = caches["default"]
        cache.set("k", "v")
        assert cache.get("k") == "v"
        process.kill()
        process.wait()
        started = time.monotonic()
        with pytest.raises(Exception) as raised:
            cache.get("k")
        assert time.monotonic() - started < 1.5
        assert "Connection" in type(raised.value).__name__
        with pytest.raises(CounterUnavailable):
            RateLimiter().hit_strict("login:1.2.3.4", 5, 60)


@pytest.mark.redis
def test_strict_counter__django_redis__one_shared_count_with_expiry() -> None:
    with private_redis() as (_, url), override_settings(CACHES=_django_redis(url)):
        limiter = RateLimiter()
        verdicts = [limiter.hit_strict("login:5.6.7.8", 2, 60).allowed for _ in range(3)]
        client = caches["default"].client.get_client(write=True)  # type: ignore[attr-defined]
        (key,) = client.keys("*rl:login:5.6.7.8:*")
        ttl = client.ttl(key)
    assert verdicts == [True, True, False]
    assert 0 < ttl <= 61


@contextmanager
def _sentinel_pair() -> Iterator[str]:
    """A private master and one Sentinel watching it (as `mymaster`); yields the sentinel entry."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed")
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as folder:
        try:
            master = port_for_faults()
            processes.append(
                subprocess.Popen(
                    [binary, "--port", str(master), "--bind", "127.0.0.1", "--save", ""],
                    stdout=subprocess.DEVNULL,
                )
            )
            _wait_for_port(master)
            sentinel = port_for_faults()
            config = Path(folder, "sentinel.conf")
            config.write_text(
                f"port {sentinel}\nbind 127.0.0.1\nsentinel monitor mymaster 127.0.0.1 {master} 1\n"
            )
            processes.append(
                subprocess.Popen([binary, str(config), "--sentinel"], stdout=subprocess.DEVNULL)
            )
            _wait_for_port(sentinel)
            yield f"127.0.0.1:{sentinel}"
        finally:
            for process in processes:
                process.kill()
                process.wait(timeout=10)


@pytest.mark.redis
def test_sentinel__cache_reaches_the_master_through_sentinel() -> None:
    with _sentinel_pair() as sentinel:
        caches_setting = {"default": redis_cache("redis://mymaster/0", [sentinel])}
        with override_settings(CACHES=caches_setting):
            cache = caches["default"]
            cache.set("through-sentinel", 42)
            assert cache.get("through-sentinel") == 42
