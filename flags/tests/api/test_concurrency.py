"""Concurrent writes through the API against real PostgreSQL: row locks decide, never a 500."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from flags.models import Flag, FlagChange
from flags.tests.api.conftest import ALL_FLAG_PERMS, Api, make_flag, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
BASE = "/api/v1/features/"
THREADS = 8


def _race(call: Callable[[], Any]) -> list[int]:
    """Run `call` in THREADS threads released together; their status codes."""
    barrier = threading.Barrier(THREADS)
    codes: list[int] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait()
            code = call().status_code
            with lock:
                codes.append(code)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(codes)


def _writer(api_for: Callable[..., Api]) -> Api:
    api = api_for(make_user("ops", ALL_FLAG_PERMS), "write")
    assert api.get(BASE).status_code == 200  # resolve the token once, before the race
    return api


def test_same_if_match__exactly_one_write_wins(api_for: Callable[..., Api]) -> None:
    make_flag("hub", rollout_percentage=0)
    api = _writer(api_for)
    counter = iter(range(1, THREADS + 1))

    codes = _race(
        lambda: api.patch(f"{BASE}hub", {"rollout_percentage": next(counter)}, HTTP_IF_MATCH='"1"')
    )

    assert codes == [200] + [412] * (THREADS - 1)
    assert Flag.objects.get(name="hub").version == 2
    assert FlagChange.objects.filter(flag_name="hub").count() == 2


def test_same_name__one_create_wins_the_rest_409(api_for: Callable[..., Api]) -> None:
    api = _writer(api_for)

    codes = _race(lambda: api.post(BASE, {"name": "race", "enabled": True}))

    assert codes == [201] + [409] * (THREADS - 1)
    assert FlagChange.objects.filter(flag_name="race").count() == 1


def test_concurrent_rollouts_without_if_match__all_applied_in_order(
    api_for: Callable[..., Api],
) -> None:
    make_flag("hub")
    api = _writer(api_for)
    counter = iter(range(1, THREADS + 1))

    codes = _race(lambda: api.post(f"{BASE}hub/rollout/{next(counter)}"))

    assert codes == [200] * THREADS
    versions = list(FlagChange.objects.filter(flag_name="hub").values_list("version", flat=True))
    assert sorted(versions) == list(range(1, THREADS + 2))  # no version written twice
