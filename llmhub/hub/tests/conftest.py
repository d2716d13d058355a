"""Browser tests: the `browser` marker and a Chromium page driven by Playwright.

Playwright drives Debian's Chromium (`/usr/bin/chromium`, `apt-get install -y chromium`); it
never downloads a browser of its own. Without Chromium (or Playwright) a browser test is
skipped locally but FAILS when LLMHUB_REQUIRE_SERVICES=1, like the redis/postgres markers.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

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
REQUIRE_SERVICES = os.environ.get("LLMHUB_REQUIRE_SERVICES") == "1"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "browser: drives Chromium through Playwright; fails instead of skipping when "
        "LLMHUB_REQUIRE_SERVICES=1",
    )


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "needs the playwright package (requirements-dev.txt)"
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"needs Chromium at {CHROMIUM} (apt-get install -y chromium)"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("browser") is None:
        return
    missing = _browser_missing()
    if missing and REQUIRE_SERVICES:
        pytest.fail(f"{missing}, and LLMHUB_REQUIRE_SERVICES=1 says it must be there")
    if missing:
        pytest.skip(missing)


@pytest.fixture
def browser_page() -> Iterator[Any]:
    """A fresh Chromium page (own cookies). Playwright's sync API keeps an event loop running
    in this thread, so Django's async-safety check must be relaxed for the test's ORM calls."""
    from playwright.sync_api import sync_playwright

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
