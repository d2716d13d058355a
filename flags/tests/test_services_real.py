"""Claims about the real parts: Redis going away, and propagation between two processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import flags
from flags import services
from flags.tests.support.services import database_url, private_redis
from flags.types import Reason
from llmhub.actors import Actor

ACTOR = Actor.system("tests")
ROOT = Path(__file__).resolve().parents[2]


def _redis_cache(url: str) -> dict[str, dict[str, object]]:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_redis_stopped_mid_run__evaluation_falls_back_to_database(settings) -> None:
    settings.FLAGS_REVISION_CHECK_SECONDS = 0.05
    with private_redis() as (redis_process, url):
        settings.CACHES = _redis_cache(url)
        services.flag_create(
            name="hub", actor=ACTOR, source="api", enabled=True, rollout_percentage=100
        )
        assert flags.is_enabled("hub", "alice")

        redis_process.kill()
        redis_process.wait(timeout=5)

        # Writes still commit (publishing the revision fails quietly) ...
        services.flag_disable(name="hub", actor=ACTOR, source="api")
        time.sleep(0.1)
        # ... and evaluation never raises and reads the database instead.
        started = time.monotonic()
        for _ in range(200):
            result = flags.evaluate("hub", "alice")
        elapsed = time.monotonic() - started
    assert result.reason == Reason.DISABLED
    assert elapsed < 1.0  # the dead cache is not asked on every call


PEER = """
import sys, time, django
django.setup()
import flags
print("ready", flags.is_enabled("hub", "alice"), flush=True)
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    if flags.is_enabled("hub", "alice"):
        print("on", time.time(), flush=True)
        break
    time.sleep(0.005)
"""


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_committed_change__seen_by_another_process_within_one_second() -> None:
    services.flag_create(
        name="hub", actor=ACTOR, source="api", enabled=False, rollout_percentage=100
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "llmhub.settings.test",
        "DATABASE_URL": database_url(),
    }
    peer = subprocess.Popen(
        [sys.executable, "-c", PEER], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert peer.stdout is not None
        assert peer.stdout.readline().split() == ["ready", "False"]
        changed_at = time.time()
        services.flag_enable(name="hub", actor=ACTOR, source="api")
        line = peer.stdout.readline().split()
    finally:
        peer.kill()
        peer.wait(timeout=10)
    assert line and line[0] == "on", "the other process never saw the change"
    assert float(line[1]) - changed_at < 1.0
