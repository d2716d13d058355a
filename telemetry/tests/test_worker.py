"""Aggregation by a real Celery worker process, real Redis broker, real PostgreSQL.

The worker runs `--pool solo`, so the task runs in the process whose PID we kill.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection
from django.db.models import Sum
from django.test import Client

from flags.tests.support.services import database_url
from llmhub.celery import app
from telemetry.models import AggregationState, EventSummary
from telemetry.tasks import aggregate_closed_buckets
from telemetry.tests.factories import browser_event
from telemetry.tests.worker import CeleryWorker, wait_for

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
BATCH = 500


@pytest.fixture
def queue() -> Iterator[str]:
    """A queue of this test's own, and tasks really sent to the broker (not run eagerly)."""
    name = f"telemetry-test-{uuid.uuid4().hex[:8]}"
    app.conf.task_always_eager = False
    yield name
    app.conf.task_always_eager = True
    with app.connection_for_write() as conn:
        conn.default_channel.queue_delete(name)


@pytest.fixture
def worker(queue: str, tmp_path: Path) -> Iterator[CeleryWorker]:
    worker = CeleryWorker(queue, tmp_path / "worker.log")
    yield worker
    worker.stop()  # graceful: its database connection closes before the test database goes


@pytest.fixture
def browser(django_user_model) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_user("ann"))
    return client


def _post_events(client: Client, total: int, *, at: datetime) -> list[dict[str, Any]]:
    events = []
    for start in range(0, total, BATCH):
        batch = [
            browser_event(
                occurred_at=(at + timedelta(seconds=(start + i) % 3600)).isoformat(),
                duration_ms=float((start + i) % 997),
            )
            for i in range(BATCH)
        ]
        response = client.post(
            "/api/v1/telemetry/events",
            json.dumps({"events": batch}),
            content_type="application/json",
        )
        assert response.status_code == 202, response.content
        events += batch
    return events


def _totals() -> dict[str, int | None]:
    rows = EventSummary.objects.values("bucket_size").annotate(total=Sum("count"))
    return {row["bucket_size"]: row["total"] for row in rows}


def _enqueue(queue: str) -> None:
    aggregate_closed_buckets.apply_async(queue=queue)


def _done(expected: int) -> bool:
    """Minutes and hours counted (the day of the events may still be open)."""
    totals = _totals()
    return (totals.get("minute"), totals.get("hour")) == (
        expected,
        expected,
    ) and AggregationState.objects.filter(received_until__isnull=False).count() == 3


def _two_hours_ago() -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)


def test_worker__stopped_while_10000_events_arrive__counts_exactly_10000_once_started(
    worker: CeleryWorker, queue: str, browser: Client
) -> None:
    # given a worker that was running and is stopped
    worker.start()
    worker.stop()
    # when 10,000 events arrive, and the scheduled run is queued while it is down
    _post_events(browser, 10_000, at=_two_hours_ago())
    _enqueue(queue)
    assert _totals() == {}
    worker.start()
    # then the worker catches up, exactly
    wait_for(lambda: _done(10_000), timeout=60, what="10,000 aggregated")
    # and another run changes nothing
    _enqueue(queue)
    wait_for(lambda: AggregationState.objects.filter(last_run_buckets=0).count() == 3, timeout=30)
    assert _done(10_000)


def _waiting_backend(dbname: str) -> int | None:
    """PID of a backend blocked on the fill-state update: the run is past its upsert."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' "
            "AND query LIKE 'UPDATE \"telemetry_aggregationstate\"%%'",
            [dbname],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _backend_gone(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0] == 0


def test_worker__killed_mid_run__result_is_still_exact_after_restart(
    worker: CeleryWorker, queue: str, browser: Client
) -> None:
    # given 10,000 events and a run held mid-way: summaries written, fill state not yet moved
    _post_events(browser, 10_000, at=_two_hours_ago())
    for size in ("minute", "hour", "day"):
        AggregationState.objects.create(bucket_size=size)
    dbname = connection.settings_dict["NAME"]
    holder = psycopg.connect(database_url(), autocommit=False)
    holder.execute(
        "SELECT * FROM telemetry_aggregationstate WHERE bucket_size = 'minute' FOR UPDATE"
    )
    worker.start()
    _enqueue(queue)
    wait_for(lambda: _waiting_backend(dbname) is not None, timeout=60, what="the run mid-way")
    backend = _waiting_backend(dbname)
    assert backend is not None
    # when the worker is killed right there
    worker.kill()
    holder.rollback()
    holder.close()
    wait_for(lambda: _backend_gone(backend), timeout=30, what="the dead run's backend to end")
    # then nothing of the dead run remains
    assert _totals() == {}
    # and after a restart the next run is exact
    worker.start()
    _enqueue(queue)
    wait_for(lambda: _done(10_000), timeout=60, what="10,000 aggregated after the kill")


def test_worker__same_batch_posted_three_times__counts_once(
    worker: CeleryWorker, queue: str, browser: Client
) -> None:
    batch = [browser_event(occurred_at=_two_hours_ago().isoformat()) for _ in range(BATCH)]
    for _ in range(3):
        response = browser.post(
            "/api/v1/telemetry/events",
            json.dumps({"events": batch}),
            content_type="application/json",
        )
        assert response.status_code == 202
    worker.start()
    _enqueue(queue)
    wait_for(lambda: _done(BATCH), timeout=60, what="the batch aggregated")


def test_worker__backlog_bigger_than_a_run__queues_the_next_run_until_caught_up(
    queue: str, browser: Client, tmp_path: Path
) -> None:
    # given a worker whose runs may do only one chunk of 1,000 events per bucket size
    small = {"TELEMETRY_AGGREGATION_CHUNK_EVENTS": "1000", "TELEMETRY_AGGREGATION_RUN_SECONDS": "0"}
    worker = CeleryWorker(queue, tmp_path / "small.log", env=small)
    try:
        # and 10,000 events waiting
        _post_events(browser, 10_000, at=_two_hours_ago())
        worker.start()
        # when the scheduled run is queued once
        _enqueue(queue)
        # then run after run follows by itself until every event is counted, exactly once
        # (one run does one chunk: 10,000 events need at least ten, queued by the runs)
        wait_for(lambda: _done(10_000), timeout=120, what="10,000 aggregated run after run")
    finally:
        worker.stop()
