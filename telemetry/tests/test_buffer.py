"""The background writer: buffered events and flag counts reach the database without a
request doing the write."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

import flags
from telemetry.buffer import ProcessBuffer
from telemetry.models import Event, FlagEvaluationCount
from telemetry.rows import build_row, jsonable
from telemetry.services import events_store
from telemetry.tests.factories import event_row
from telemetry.tests.worker import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def background(settings) -> Iterator[ProcessBuffer]:
    settings.TELEMETRY_BACKGROUND_FLUSH = True
    settings.TELEMETRY_FLUSH_SECONDS = 0.05
    settings.TELEMETRY_FLAG_FLUSH_SECONDS = 0.05
    buffer = ProcessBuffer()
    yield buffer
    buffer.stop()


def test_background_flush__buffered_events__are_written_by_the_thread(
    background: ProcessBuffer,
) -> None:
    background.add(build_row("api_call", {"path": "/api/v1/features/", "status": 200}))
    wait_for(lambda: Event.objects.filter(event_type="api_call").exists(), timeout=5)


def test_background_flush__flag_evaluations__are_counted_by_the_thread(
    background: ProcessBuffer,
) -> None:
    background.start()
    for _ in range(5):
        flags.is_enabled("missing", "ann")
    wait_for(lambda: FlagEvaluationCount.objects.filter(count=5).exists(), timeout=5)


def test_stop__flushes_what_is_left(settings) -> None:
    settings.TELEMETRY_BACKGROUND_FLUSH = True
    settings.TELEMETRY_FLUSH_SECONDS = 60
    buffer = ProcessBuffer()
    buffer.add(build_row("api_call", {"path": "/api/x"}))
    buffer.stop()
    assert Event.objects.count() == 1


def test_nul_in_a_recorded_value__stored_as_replacement_character() -> None:
    """PostgreSQL's text and jsonb refuse NUL: a request path with %00 must not poison a batch."""
    buffer = ProcessBuffer()
    buffer.add(build_row("api_call", {"path": "/api/v1/features/a\x00b", "status": 404}))
    buffer.add(
        build_row("security", {"path": "/x", "properties": jsonable({"k\x00": ["v\x00", 1]})})
    )
    assert buffer.flush() == 2
    api_call = Event.objects.get(event_type="api_call")
    assert api_call.path == "/api/v1/features/a\ufffdb"
    assert Event.objects.get(event_type="security").properties == {"k\ufffd": ["v\ufffd", 1]}


@pytest.mark.postgres
def test_a_row_the_database_refuses__dropped_alone_the_rest_stored() -> None:
    """A bad row (here longer than its column) costs itself, not the batch after it."""
    buffer = ProcessBuffer()
    good = [event_row(event_type="api_call", path=f"/ok/{n}") for n in range(3)]
    buffer.add(good[0])
    buffer.add(event_row(event_type="api_call", path="/" + "x" * 600))
    buffer.add(good[1])
    buffer.add(good[2])

    assert buffer.flush() == 3
    assert sorted(Event.objects.values_list("path", flat=True)) == ["/ok/0", "/ok/1", "/ok/2"]
    assert buffer.flush() == 0  # nothing kept back for a retry that could never succeed


def test_stored_rows__read_back_whole() -> None:
    """Every column survives the bulk write (binary COPY on PostgreSQL), NULLs and JSON too."""
    rows: list[dict[str, Any]] = [
        event_row(event_type="api_call", duration_ms=1.5, status=200, properties={"a": [1, "é"]}),
        event_row(event_type="page_view", duration_ms=None, status=None, path="t\tab\n"),
    ]
    assert events_store(rows=rows) == 2
    assert events_store(rows=rows) == 0  # a retried batch is stored once
    for row in rows:
        stored = Event.objects.get(event_id=row["event_id"])
        assert {name: getattr(stored, name) for name in row} == row


def test_given_id_as_text_and_naive_time__normalised_and_stored() -> None:
    """Callers may pass an event id as text and a naive time (taken as UTC)."""
    given = uuid.uuid4()
    naive = datetime(2026, 1, 2, 3, 4, 5)
    row = build_row("performance", {"event_id": str(given), "occurred_at": naive})
    assert row["event_id"] == given
    assert row["occurred_at"] == naive.replace(tzinfo=UTC)
    assert build_row("performance", {"event_id": "not-a-uuid"})["event_id"].version == 7
    buffer = ProcessBuffer()
    buffer.add(row)
    assert buffer.flush() == 1
    assert Event.objects.get(event_id=given).occurred_at == naive.replace(tzinfo=UTC)


@pytest.mark.postgres
def test_a_value_the_copy_cannot_send__dropped_alone_the_rest_stored() -> None:
    """psycopg refuses such values with Python errors: they count as refused rows too."""
    buffer = ProcessBuffer()
    buffer.add(event_row(event_type="api_call", path="/ok/0"))
    buffer.add(event_row(event_type="api_call", event_id="not-a-uuid", path="/bad"))
    buffer.add(event_row(event_type="api_call", occurred_at=datetime(2026, 1, 1), path="/bad"))
    buffer.add(event_row(event_type="api_call", status=70000, path="/bad"))  # not wrapped
    buffer.add(event_row(event_type="api_call", path="/ok/1"))

    assert buffer.flush() == 2
    assert sorted(Event.objects.values_list("path", flat=True)) == ["/ok/0", "/ok/1"]
    assert buffer.flush() == 0


@pytest.mark.postgres
def test_retried_batches_in_one_transaction__counted_exactly() -> None:
    """Inside a caller's transaction the staging table is emptied after each batch."""
    from django.db import connection, transaction

    from telemetry.services import STAGING_TABLE

    first = [event_row(event_type="api_call", path=f"/a/{n}") for n in range(3)]
    second = [event_row(event_type="api_call", path=f"/b/{n}") for n in range(2)]
    with transaction.atomic():
        assert events_store(rows=first) == 3
        assert events_store(rows=[first[0], *second]) == 2  # one stored already: staging
        assert events_store(rows=[first[1], second[0]]) == 0
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {STAGING_TABLE}")
            assert cursor.fetchone()[0] == 0  # no leftovers growing through the transaction
    assert Event.objects.count() == 5
