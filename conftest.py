"""Shared test fixtures.

Service markers: a test marked `redis` or `postgres` needs that real service, one marked `browser`
Debian's Chromium (`/usr/bin/chromium`, `apt-get install -y chromium`) driven by Playwright, which
never downloads a browser of its own. Without it the test is skipped locally, but fails when
`LLMHUB_REQUIRE_SERVICES=1` (as `.ci/run` sets), so CI can never pass by silently skipping what
it claims to check.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache

from flags import client
from flags.store import store

REQUIRE_SERVICES = os.environ.get("LLMHUB_REQUIRE_SERVICES") == "1"
SERVICE_MARKERS = ("redis", "postgres", "browser")
CHROMIUM = os.environ.get("LLMHUB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401  (optional: only browser tests need it)
    except ImportError:
        return "needs the playwright package (requirements-dev.txt)"
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"needs Chromium at {CHROMIUM} (apt-get install -y chromium)"
    return None


def _service_missing(marker: str) -> str | None:
    if marker == "browser":
        return _browser_missing()
    if marker == "redis" and not settings.REDIS_URL:
        return "needs REDIS_URL (a real Redis)"
    engine = settings.DATABASES["default"]["ENGINE"]
    if marker == "postgres" and "postgresql" not in engine:
        return "needs DATABASE_URL pointing at PostgreSQL"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker in SERVICE_MARKERS:
        if item.get_closest_marker(marker) is None:
            continue
        missing = _service_missing(marker)
        if missing and REQUIRE_SERVICES:
            pytest.fail(f"{missing}, and LLMHUB_REQUIRE_SERVICES=1 says it must be there")
        if missing:
            pytest.skip(missing)


@pytest.fixture
def browser_page() -> Iterator[Any]:
    """A fresh Chromium page (own cookies). Playwright's sync API keeps an event loop running
    in this thread, so Django's async-safety check must be relaxed for the test's ORM calls."""
    from playwright.sync_api import sync_playwright  # optional, see _browser_missing

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.set_default_timeout(10_000)
            yield context.new_page()
            context.close()
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


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
