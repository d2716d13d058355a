"""Shared test fixtures.

Service markers: a test marked `redis` or `postgres` needs that real service. Without it the test
is skipped locally, but fails when `LLMHUB_REQUIRE_SERVICES=1` (as `.ci/run` sets), so CI can
never pass by silently skipping what it claims to check.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache

from flags import client
from flags.store import store

REQUIRE_SERVICES = os.environ.get("LLMHUB_REQUIRE_SERVICES") == "1"


def _service_missing(marker: str) -> str | None:
    if marker == "redis" and not settings.REDIS_URL:
        return "needs REDIS_URL (a real Redis)"
    engine = settings.DATABASES["default"]["ENGINE"]
    if marker == "postgres" and "postgresql" not in engine:
        return "needs DATABASE_URL pointing at PostgreSQL"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in ("redis", "postgres"):
        if item.get_closest_marker(marker) is None:
            continue
        missing = _service_missing(marker)
        if missing and REQUIRE_SERVICES:
            pytest.fail(f"{missing}, and LLMHUB_REQUIRE_SERVICES=1 says it must be there")
        if missing:
            pytest.skip(missing)


@pytest.fixture(autouse=True)
def _fresh_flag_state() -> Iterator[None]:
    """Each test starts with an empty process snapshot, no overrides and an empty cache."""
    store.reset()
    client.overrides.clear()
    # A test may have pointed the cache at a server it has since stopped.
    with contextlib.suppress(Exception):
        cache.clear()
    yield
    store.reset()
    client.overrides.clear()


@pytest.fixture(scope="session", autouse=True)
def _no_stragglers_at_teardown(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Tests start real processes (workers, servers, peers) on the test database; one still
    closing its connection must not stop pytest-django from dropping the database."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
