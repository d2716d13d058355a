"""Browser events through a cache outage, in Chromium against a live server whose cache (the
write throttle's counters) is a private redis-server that the test hangs for 20 s by SIGSTOP.

Ingestion refuses with 503 and Retry-After while the counters cannot be asked (writes fail
closed, docs/API.md); static/hub/hub.js keeps every unacknowledged event in localStorage,
retries with backoff, survives a reload, and once Redis is back every event is stored.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from llmhub.api.ratelimit import limiter
from llmhub.hub.tests.test_browser import HUB, eventually, hub_data, log_in  # noqa: F401
from telemetry.models import Event
from tests.system.postgres import port_for_faults

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HANG_SECONDS = 20
INGEST = "/api/v1/telemetry/events"


@pytest.fixture
def hung_redis(settings) -> Iterator[subprocess.Popen[bytes]]:
    """A private redis-server as the cache of the live server; the test pauses it by PID."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("needs redis-server")
    port = port_for_faults()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
    limiter.reset()
    try:
        time.sleep(0.5)
        yield process
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)
            process.kill()
        process.wait(timeout=10)
        limiter.reset()


def _queued(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate("JSON.parse(localStorage.getItem('llmhub.telemetry.queue') || '[]')"))


def test_redis_hung_20s__no_browser_event_lost__retried_after_reload_too(
    hub_data: None,  # noqa: F811
    live_server: Any,
    browser_page: Any,
    hung_redis: subprocess.Popen[bytes],
) -> None:
    page, base = browser_page, live_server.url
    answers: list[tuple[int, str | None]] = []
    page.on(
        "response",
        lambda r: (
            answers.append((r.status, r.headers.get("retry-after")))
            if r.url.endswith(INGEST)
            else None
        ),
    )
    log_in(page, base, "hubtester")
    eventually(lambda: not _queued(page))
    clicks = 0
    # the cache hangs: every write's counter times out, ingestion answers 503
    os.kill(hung_redis.pid, signal.SIGSTOP)
    hung_at = time.monotonic()
    try:
        for tab in ("models", "rules", "usage", "keys", "models", "rules"):
            page.click(f"#tab-{tab}")
            clicks += 1
            time.sleep(1)
        assert eventually(lambda: any(status == 503 for status, _ in answers), seconds=10)
        waiting = len(_queued(page))
        assert waiting >= clicks  # nothing acknowledged, nothing forgotten
        page.reload()  # a reload during the outage keeps the queue
        page.wait_for_load_state("load")
        for tab in ("usage", "keys"):
            page.click(f"#tab-{tab}")
            clicks += 1
        assert len(_queued(page)) >= waiting + 2
        time.sleep(max(0.0, HANG_SECONDS - (time.monotonic() - hung_at)))
    finally:
        os.kill(hung_redis.pid, signal.SIGCONT)

    # the browser's retries get through once the cache answers again
    assert eventually(lambda: not _queued(page), seconds=45), _queued(page)
    switches = Event.objects.filter(event_type="feature_usage", action="switch").count()
    assert switches == clicks
    refused = [(status, after) for status, after in answers if status == 503]
    assert refused and all(after and int(after) >= 1 for _, after in refused)
    assert Event.objects.filter(event_type="performance", action="page_load").count() >= 2
    print(json.dumps({"refused": len(refused), "answers": len(answers)}))


def test_left_while_backing_off__the_page_hide_request_delivers(
    hub_data: None,  # noqa: F811
    live_server: Any,
    browser_page: Any,
    hung_redis: subprocess.Popen[bytes],
) -> None:
    """Refused during a short hang, the page waits Retry-After (5 s) before trying again; the
    user leaves the site before that, and the events still arrive, sent on page hide."""
    page, base = browser_page, live_server.url
    refused: list[int] = []
    page.on("response", lambda r: refused.append(r.status) if r.status == 503 else None)
    log_in(page, base, "hubtester")
    eventually(lambda: not _queued(page))
    os.kill(hung_redis.pid, signal.SIGSTOP)
    try:
        page.click("#tab-models")
        # Playwright delivers the page's events while the test calls into it
        assert eventually(lambda: page.wait_for_timeout(100) or refused, seconds=10)
        page.click("#tab-rules")  # queued: the page is backing off
    finally:
        os.kill(hung_redis.pid, signal.SIGCONT)
    page.wait_for_timeout(2500)  # the throttle asks Redis again 2 s after a failure
    assert len(_queued(page)) == 2

    page.goto("about:blank")  # leaves the site before the page's next try

    switches = Event.objects.filter(event_type="feature_usage", action="switch")
    assert eventually(lambda: switches.count() == 2, seconds=5)
