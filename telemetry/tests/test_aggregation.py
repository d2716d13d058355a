"""Aggregation: exact, idempotent, crash-safe, late events included (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from telemetry.aggregation import services
from telemetry.aggregation.services import summaries_aggregate_closed, summaries_rebuild
from telemetry.models import AggregationState, Event, EventSummary
from telemetry.selectors import percentile
from telemetry.tests.factories import EventFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 26, 12, 0, 30, tzinfo=UTC)


def _seed(count: int, *, start: datetime, spread_minutes: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        at = start + timedelta(seconds=rng.uniform(0, spread_minutes * 60))
        rows.append(
            EventFactory.build(
                event_type=rng.choice(
                    ["page_view", "api_call", "error", "performance", "security", "warning"]
                ),
                occurred_at=at,
                received_at=at,
                page=rng.choice(["hub", "providers", "keys"]),
                cohort=rng.choice(["new_hub", "old_pages", ""]),
                user_id=rng.choice(["", "ann", "bob", "cy", "dee"]),
                duration_ms=rng.choice([None, round(rng.uniform(1, 900), 3)]),
                status=rng.choice([None, 200, 403, 404, 500, 503]),
                path=rng.choice(["", "/admin/llm-management/keys/", "/api/v1/features/x"]),
            )
        )
    Event.objects.bulk_create(rows)


def _counted_by_its_api_call(e: Event) -> bool:
    """An API request counts once, by its api_call: the other events about it do not."""
    return e.event_type != "api_call" and e.path.startswith(("/api/", "/ofrep/"))


def _server_error(e: Event) -> bool:
    return (e.event_type == "error" or (e.status or 0) >= 500) and not _counted_by_its_api_call(e)


def _client_error(e: Event) -> bool:
    status = e.status or 0
    return e.event_type != "error" and 400 <= status < 500 and not _counted_by_its_api_call(e)


def _expected(size: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The summaries computed the slow, obvious way in Python."""
    groups: defaultdict[tuple[Any, ...], list[Event]] = defaultdict(list)
    for e in Event.objects.all():
        start = e.occurred_at.replace(second=0, microsecond=0)
        if size in ("hour", "day"):
            start = start.replace(minute=0)
        if size == "day":
            start = start.replace(hour=0)
        groups[start, e.event_type, e.page, e.tab, e.flag, e.cohort].append(e)
    expected = {}
    for key, events in groups.items():
        durations = [e.duration_ms for e in events if e.duration_ms is not None]
        expected[key] = {
            "count": len(events),
            "users": len({e.user_id for e in events if e.user_id}),
            "errors": sum(1 for e in events if _server_error(e)),
            "client_errors": sum(1 for e in events if _client_error(e)),
            "p50_ms": percentile(durations, 0.5),
            "p75_ms": percentile(durations, 0.75),
            "p95_ms": percentile(durations, 0.95),
            "max_ms": max(durations, default=None),
        }
    return expected


def _stored(size: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    fields = (
        "count",
        "users",
        "errors",
        "client_errors",
        "p50_ms",
        "p75_ms",
        "p95_ms",
        "max_ms",
    )
    return {
        (s.bucket_start, s.event_type, s.page, s.tab, s.flag, s.cohort): {
            f: getattr(s, f) for f in fields
        }
        for s in EventSummary.objects.filter(bucket_size=size)
    }


def _assert_same(stored: dict, expected: dict) -> None:
    assert stored.keys() == expected.keys()
    for key, want in expected.items():
        got = stored[key]
        for name in ("count", "users", "errors", "client_errors"):
            assert got[name] == want[name], (key, name)
        for name in ("p50_ms", "p75_ms", "p95_ms", "max_ms"):
            assert got[name] == pytest.approx(want[name], abs=1e-9), (key, name)


@pytest.mark.parametrize("size", ["minute", "hour", "day"])
def test_aggregate__closed_buckets__match_a_python_reference(size: str) -> None:
    # given events spread over closed hours of two closed days and of today
    _seed(1500, start=NOW - timedelta(hours=40), spread_minutes=38 * 60)
    # when
    summaries_aggregate_closed(now=NOW)
    # then every closed bucket is exact (today's day is still open: not yet)
    span = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
    closed = {k: v for k, v in _expected(size).items() if k[0] + span[size] <= NOW}
    _assert_same(_stored(size), closed)


def test_aggregate__one_insert_select_per_bucket_size__the_database_groups() -> None:
    _seed(600, start=NOW - timedelta(hours=3), spread_minutes=150)
    with CaptureQueriesContext(connection) as queries:  # also formats every SQL for the log
        summaries_aggregate_closed(now=NOW)
    inserts = [q["sql"] for q in queries if 'INSERT INTO "telemetry_eventsummary"' in q["sql"]]
    assert len(inserts) == 2
    assert all("GROUP BY" in sql and "ON CONFLICT" in sql for sql in inserts)


def test_aggregate__run_twice__changes_nothing() -> None:
    _seed(400, start=NOW - timedelta(hours=2), spread_minutes=60)
    summaries_aggregate_closed(now=NOW)
    first = _stored("minute"), _stored("hour")
    summaries_aggregate_closed(now=NOW)
    summaries_aggregate_closed(now=NOW + timedelta(minutes=5))
    assert (_stored("minute"), _stored("hour")) == first


def test_aggregate__open_bucket__waits_until_it_closes() -> None:
    # given an event in the minute that is still open (and the hour)
    at = NOW - timedelta(seconds=1)
    EventFactory(occurred_at=at, received_at=at)
    # when
    summaries_aggregate_closed(now=NOW + timedelta(seconds=20))
    # then nothing yet; once closed (past the delay), it is counted
    assert not EventSummary.objects.exists()
    summaries_aggregate_closed(now=NOW + timedelta(seconds=60))
    assert EventSummary.objects.get(bucket_size="minute").count == 1
    assert not EventSummary.objects.filter(bucket_size="hour").exists()
    summaries_aggregate_closed(now=NOW + timedelta(hours=1))
    assert EventSummary.objects.get(bucket_size="hour").count == 1


def test_aggregate__late_event__recomputes_its_old_bucket_whole() -> None:
    # given a bucket already aggregated
    old = NOW - timedelta(hours=2)
    EventFactory(occurred_at=old, received_at=old)
    summaries_aggregate_closed(now=NOW)
    # when a browser's batch brings one more event of that bucket, received now
    EventFactory(occurred_at=old + timedelta(seconds=5), received_at=NOW)
    summaries_aggregate_closed(now=NOW + timedelta(minutes=2))
    # then the bucket counts both
    assert EventSummary.objects.get(bucket_size="minute").count == 2
    assert EventSummary.objects.get(bucket_size="hour").count == 2


def test_aggregate__crash_mid_run__is_redone_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a run that dies after writing summaries but before committing
    _seed(300, start=NOW - timedelta(hours=2), spread_minutes=30)
    real_upsert = services._upsert

    def upsert_then_die(*args: Any, **kwargs: Any) -> None:
        real_upsert(*args, **kwargs)
        raise RuntimeError("worker killed")

    monkeypatch.setattr(services, "_upsert", upsert_then_die)
    with pytest.raises(RuntimeError):
        summaries_aggregate_closed(now=NOW)
    # then nothing of it remains
    assert not EventSummary.objects.exists()
    assert AggregationState.objects.filter(received_until__isnull=False).count() == 0
    # and the next run produces the exact result
    monkeypatch.setattr(services, "_upsert", real_upsert)
    summaries_aggregate_closed(now=NOW)
    _assert_same(_stored("minute"), _expected("minute"))


def test_rebuild__range__recomputes_and_keeps_the_fill_state() -> None:
    _seed(500, start=NOW - timedelta(hours=5), spread_minutes=180)
    summaries_rebuild(since=NOW - timedelta(hours=6), until=NOW)
    _assert_same(_stored("hour"), _expected("hour"))
    assert not AggregationState.objects.exclude(received_until=None).exists()


def test_aggregate_events_command__since_until__backfills(capsys: pytest.CaptureFixture) -> None:
    _seed(200, start=NOW - timedelta(days=1), spread_minutes=90)
    call_command("aggregate_events", "--since", "2026-11-25", "--until", "2026-11-26T12:00")
    _assert_same(_stored("minute"), _expected("minute"))
    assert "minute:" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        ["--since", "yesterday"],
        ["--since", "2026-11-26", "--until", "2026-11-25"],
        ["--until", "2026-11-25"],
    ],
)
def test_aggregate_events_command__bad_range__is_refused(args: list[str]) -> None:
    from django.core.management.base import CommandError

    with pytest.raises((CommandError, SystemExit)):
        call_command("aggregate_events", *args)
    assert not EventSummary.objects.exists()


def test_aggregate__empty_durations__give_no_percentiles() -> None:
    at = NOW - timedelta(hours=1)
    EventFactory.create_batch(3, occurred_at=at, received_at=at, duration_ms=None)
    summaries_aggregate_closed(now=NOW)
    row = EventSummary.objects.get(bucket_size="minute")
    assert (row.count, row.p50_ms, row.p95_ms, row.max_ms) == (3, None, None, None)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_aggregate__postgres__concurrent_runs_stay_exact() -> None:
    """Two runs at once (beat and a backfill) serialise on the advisory lock."""
    import threading

    _seed(2000, start=NOW - timedelta(hours=2), spread_minutes=60)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with transaction.atomic():
                summaries_aggregate_closed(now=NOW)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    _assert_same(_stored("minute"), _expected("minute"))


def test_aggregate__minute_by_minute_with_late_events__ends_exact() -> None:
    """Events keep arriving (some for buckets long closed) while a run goes every minute."""
    rng = random.Random(11)
    clock = NOW - timedelta(hours=3)
    while clock < NOW:
        rows = []
        for _ in range(rng.randint(0, 25)):
            late = timedelta(seconds=rng.choice([0, 0, 0, 5, 50, 700, 4000]))
            received = clock + timedelta(seconds=rng.uniform(0, 60))
            rows.append(
                EventFactory.build(
                    occurred_at=received - late,
                    received_at=received,
                    duration_ms=rng.uniform(1, 500),
                    page=rng.choice(["hub", "keys"]),
                )
            )
        Event.objects.bulk_create(rows)
        clock += timedelta(minutes=1)
        # A run at `clock`: every event received so far is stored (received_at <= now).
        summaries_aggregate_closed(now=clock)
    summaries_aggregate_closed(now=NOW + timedelta(hours=2))
    _assert_same(_stored("minute"), _expected("minute"))
    _assert_same(_stored("hour"), _expected("hour"))


def test_aggregate__open_bucket__the_fill_state_still_moves_to_the_cutoff() -> None:
    at = NOW - timedelta(seconds=1)
    EventFactory(occurred_at=at, received_at=at)
    summaries_aggregate_closed(now=NOW + timedelta(seconds=20))
    cutoff = NOW + timedelta(seconds=5)  # TELEMETRY_AGGREGATION_DELAY_SECONDS = 15
    assert set(AggregationState.objects.values_list("received_until", flat=True)) == {cutoff}
