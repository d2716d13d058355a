"""The process buffer's hard bound: events and bytes, at all times (a hung flush included),
the cheapest events dropped first, every drop counted and reported."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from django.test import Client
from django.urls import reverse
from prometheus_client import REGISTRY

from telemetry.buffer import ProcessBuffer, row_bytes
from telemetry.models import DroppedEventCount, Event
from telemetry.tests.factories import event_row
from telemetry.tests.worker import database_url, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def dropped_metric(event_type: str) -> float:
    value = REGISTRY.get_sample_value(
        "llmhub_telemetry_events_dropped_total", {"event_type": event_type}
    )
    return value or 0.0


def stored_drops() -> dict[str, int]:
    """The dropped events stored for the dashboard, by type."""
    totals: dict[str, int] = {}
    for kind, count in DroppedEventCount.objects.values_list("event_type", "count"):
        totals[kind] = totals.get(kind, 0) + count
    return totals


@pytest.fixture
def buffer(settings) -> Iterator[ProcessBuffer]:
    """A buffer whose flusher thread waits (without one, a full buffer flushes in the caller)."""
    settings.TELEMETRY_BACKGROUND_FLUSH = True
    settings.TELEMETRY_FLUSH_SECONDS = 600
    settings.TELEMETRY_FLUSH_EVENTS = 10**6
    waiting = ProcessBuffer()
    yield waiting
    waiting.stop()


def test_full_buffer__api_calls_dropped_first__each_drop_counted_and_reported(
    settings, buffer: ProcessBuffer
) -> None:
    settings.TELEMETRY_BUFFER_MAX_EVENTS = 4
    before = dropped_metric("api_call"), dropped_metric("page_view")
    calls = [event_row(event_type="api_call", path=f"/api/{n}") for n in range(3)]
    views = [event_row(event_type="page_view", path=f"/page/{n}") for n in range(4)]

    for row in [*calls, *views]:
        buffer.add(row)

    assert buffer.size()[0] == 4
    assert buffer.flush() == 4
    kept = set(Event.objects.values_list("path", flat=True))
    assert kept == {f"/page/{n}" for n in range(4)}  # every api_call made room first
    assert dropped_metric("api_call") - before[0] == 3
    assert dropped_metric("page_view") == before[1]
    assert stored_drops() == {"api_call": 3}


def test_full_of_dearer_events__a_new_api_call_is_dropped_not_a_page_view(
    settings, buffer: ProcessBuffer
) -> None:
    settings.TELEMETRY_BUFFER_MAX_EVENTS = 2
    buffer.add(event_row(event_type="page_view", path="/page/0"))
    buffer.add(event_row(event_type="page_view", path="/page/1"))
    buffer.add(event_row(event_type="api_call", path="/api/late"))
    buffer.add(event_row(event_type="page_view", path="/page/2"))  # the oldest view goes

    assert buffer.flush() == 2
    kept = set(Event.objects.values_list("path", flat=True))
    assert kept == {"/page/1", "/page/2"}
    assert stored_drops() == {"api_call": 1, "page_view": 1}


def test_bytes_bound__large_events_limited_by_their_size(settings, buffer: ProcessBuffer) -> None:
    big = {"blob": "x" * 10_000}
    size = row_bytes(event_row(event_type="performance", properties=big))
    settings.TELEMETRY_BUFFER_MAX_BYTES = size * 3 + 10

    for _ in range(10):
        buffer.add(event_row(event_type="performance", properties=big))

    events, held = buffer.size()
    assert events == 3 and held <= settings.TELEMETRY_BUFFER_MAX_BYTES
    assert buffer.flush() == 3
    assert stored_drops() == {"performance": 7}
    assert buffer.size() == (0, 0)


@pytest.fixture
def locked_events_table() -> Iterator[threading.Event]:
    """Another session holds a SHARE lock on the events table until the event is set: reads
    go on, every insert (the flusher's COPY) waits in PostgreSQL meanwhile."""
    release = threading.Event()
    locked = threading.Event()

    def hold() -> None:
        with psycopg.connect(database_url()) as conn:
            conn.execute("LOCK TABLE telemetry_event IN SHARE MODE")
            locked.set()
            release.wait(timeout=60)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert locked.wait(timeout=10)
    yield release
    release.set()
    holder.join(timeout=10)


@pytest.mark.postgres
def test_flush_blocked_by_a_locked_table__bound_holds__all_accounted_after(
    settings, locked_events_table: threading.Event
) -> None:
    """The issue's case: a flush hangs on a slow database while requests keep recording. The
    batch in flight counts against the bound, so the process never holds more than it."""
    settings.TELEMETRY_BACKGROUND_FLUSH = True
    settings.TELEMETRY_FLUSH_SECONDS = 0.05
    settings.TELEMETRY_BUFFER_MAX_EVENTS = 200
    settings.TELEMETRY_BUFFER_MAX_BYTES = 10**9
    buffer = ProcessBuffer()
    added, most = 0, 0
    try:
        buffer.add(event_row(event_type="page_view", path="/first"))
        time.sleep(0.5)  # the flusher takes it and blocks on the lock
        for n in range(2_000):
            buffer.add(event_row(event_type="api_call" if n % 2 else "page_view", path=f"/{n}"))
            most = max(most, buffer.size()[0])
        added = 2_001
        assert most <= 200
        assert Event.objects.count() == 0  # nothing got through: the flush really is blocked
    finally:
        locked_events_table.set()
        wait_for(lambda: buffer.size()[0] == 0, timeout=10)
        buffer.stop()
    stored = Event.objects.count()
    dropped = sum(stored_drops().values())
    assert stored == 200 and stored + dropped == added


def test_drops__shown_on_the_dashboard_and_in_metrics(
    settings, buffer: ProcessBuffer, dashboard_reader: Client
) -> None:
    settings.TELEMETRY_BUFFER_MAX_EVENTS = 1
    buffer.add(event_row(event_type="page_view", path="/kept"))
    for n in range(3):
        buffer.add(event_row(event_type="api_call", path=f"/api/{n}"))
    buffer.add(event_row(event_type="error", path="/kept-too"))  # the older view makes room
    buffer.flush()
    staff = dashboard_reader

    data = staff.get(reverse("telemetry:data"), {"days": 1}).json()
    page = staff.get(reverse("telemetry:dashboard"), {"days": 1}).content.decode()
    scraped = staff.get(reverse("telemetry:metrics")).content.decode()

    assert data["dropped_events"] == {"api_call": 3, "page_view": 1}
    assert "api_call 3, page_view 1." in page
    assert 'llmhub_telemetry_events_dropped_total{event_type="api_call"}' in scraped
