"""Aggregate closed time buckets into summaries: exact, idempotent and crash-safe.

Which buckets: those that closed since the last run (the fill state `received_until` is the
previous cutoff), and closed ones holding events *received* since then, so an event that
arrives late (a browser batch sent after its bucket closed) still gets its bucket recomputed.
A bucket is always recomputed whole from the raw events and upserted, so running twice changes
nothing.

A backlog (a worker outage, an upgrade over stored events) is worked off in chunks: each chunk
takes the next TELEMETRY_AGGREGATION_CHUNK_EVENTS events by `received_at`, computes the
buckets that window makes ready, and moves the fill state to the window's end in the same
transaction as its upserts. A run stops starting chunks after TELEMETRY_AGGREGATION_RUN_SECONDS,
well inside the task's soft time limit; a run killed mid-chunk loses that chunk only, and the
next run redoes it whole from where the fill state stopped.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from telemetry.aggregation.sql import BUCKETS, DAY, Bucket, Dialect
from telemetry.models import AggregationState

# SQLite allows a limited number of bound parameters per statement.
KEYS_PER_STATEMENT = 500


@dataclass(frozen=True)
class RunResult:
    bucket_size: str
    buckets: int
    received_until: datetime | None
    # False: the run stopped at its time budget with a backlog left for the next run.
    caught_up: bool = True
    chunks: int = 0


def summaries_aggregate_closed(
    *,
    now: datetime | None = None,
    budget_seconds: float | None = None,
    chunk_events: int | None = None,
) -> list[RunResult]:
    """Bring the summaries of every bucket size up to date with closed buckets, chunk by chunk,
    until caught up or `budget_seconds` (default TELEMETRY_AGGREGATION_RUN_SECONDS) are spent.

    Every run does at least one chunk of each bucket size, so a backlog always shrinks; the
    sizes take turns, so neither waits for the other's backlog. After that first round no chunk
    starts once the budget is spent: a run lasts at most the budget plus one chunk.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.TELEMETRY_AGGREGATION_DELAY_SECONDS)
    budget = (
        settings.TELEMETRY_AGGREGATION_RUN_SECONDS if budget_seconds is None else budget_seconds
    )
    size = chunk_events or settings.TELEMETRY_AGGREGATION_CHUNK_EVENTS
    started = time.monotonic()
    results = {b.size: RunResult(b.size, 0, None, caught_up=False) for b in BUCKETS}
    first_round = True
    while pending := [b for b in BUCKETS if not results[b.size].caught_up]:
        for bucket in pending:
            if not first_round and time.monotonic() - started >= budget:
                return list(results.values())
            chunk = _aggregate_chunk(bucket, cutoff=cutoff, now=now, chunk_events=size)
            results[bucket.size] = _add(results[bucket.size], chunk)
        first_round = False
    return list(results.values())


def _add(total: RunResult, chunk: RunResult) -> RunResult:
    return RunResult(
        total.bucket_size,
        total.buckets + chunk.buckets,
        chunk.received_until,
        chunk.caught_up,
        total.chunks + chunk.chunks,
    )


def summaries_rebuild(
    *,
    since: datetime,
    until: datetime,
    bucket_sizes: Sequence[str] | None = None,
    now: datetime | None = None,
) -> list[RunResult]:
    """Recompute every closed bucket overlapping [since, until) from raw events (backfill).

    A bucket still open (today's day, this hour) is left to the regular runs, which compute it
    whole once it closes. The fill state is not moved: the runs go on from where they were.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.TELEMETRY_AGGREGATION_DELAY_SECONDS)
    results = []
    for bucket in BUCKETS:
        if bucket_sizes is not None and bucket.size not in bucket_sizes:
            continue
        low, high = bucket.floor(since), min(bucket.ceil(until), bucket.floor(cutoff))
        if high <= low:
            results.append(RunResult(bucket.size, 0, None))
            continue
        with transaction.atomic():
            dialect = _locked_dialect(bucket)
            _upsert(dialect, bucket, low=low, high=high, keys=None, now=now)
        buckets = int((high - low).total_seconds() // bucket.seconds)
        results.append(RunResult(bucket.size, buckets, None))
    return results


def _aggregate_chunk(
    bucket: Bucket, *, cutoff: datetime, now: datetime, chunk_events: int
) -> RunResult:
    """One chunk in one transaction: its buckets upserted and the fill state moved together."""
    started = time.monotonic()
    with transaction.atomic():
        dialect = _locked_dialect(bucket)
        state, _ = AggregationState.objects.get_or_create(bucket_size=bucket.size)
        since = state.received_until
        if since is not None and since >= cutoff:
            return RunResult(bucket.size, 0, since, caught_up=True)
        until = _chunk_end(dialect, since=since, cutoff=cutoff, events=chunk_events)
        keys = _buckets_to_compute(dialect, bucket, since=since, cutoff=until)
        for chunk in _chunks(keys):
            starts = [dialect.key_start(k) for k in chunk]
            low, high = min(starts), max(starts) + _span(bucket)
            _upsert(dialect, bucket, low=low, high=high, keys=chunk, now=now)
        AggregationState.objects.filter(pk=state.pk).update(
            received_until=until,
            last_run_at=now,
            last_run_seconds=time.monotonic() - started,
            last_run_buckets=len(keys),
        )
    return RunResult(bucket.size, len(keys), until, caught_up=until >= cutoff, chunks=1)


def _chunk_end(
    dialect: Dialect, *, since: datetime | None, cutoff: datetime, events: int
) -> datetime:
    """The end of the window [since, end) holding about `events` events by `received_at`
    (read through its index), at most `cutoff`. Events stored at one same instant stay in
    one window, so a window always holds at least one event or reaches the cutoff."""
    low = "received_at >= %s AND " if since is not None else ""
    params = [dialect.param(since)] if since is not None else []
    sql = (
        f"SELECT received_at FROM {dialect.events} WHERE {low}received_at < %s "
        "ORDER BY received_at LIMIT 1 OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, dialect.param(cutoff), events])
        row = cursor.fetchone()
        if row is None:
            return cutoff
        end = _moment(row[0])
        # Only the table name and a fixed condition are interpolated; values are parameters.
        cursor.execute(
            f"SELECT MIN(received_at) FROM {dialect.events} WHERE {low}received_at < %s",  # nosec B608
            [*params, dialect.param(cutoff)],
        )
        first = _moment(cursor.fetchone()[0])
        if end > first:
            return end
        cursor.execute(
            f"SELECT MIN(received_at) FROM {dialect.events} "  # nosec B608
            "WHERE received_at > %s AND received_at < %s",
            [dialect.param(end), dialect.param(cutoff)],
        )
        after = cursor.fetchone()[0]
        return cutoff if after is None else _moment(after)


def _moment(value: Any) -> datetime:
    """A datetime read by a raw cursor (SQLite returns text) as an aware UTC datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def _buckets_to_compute(
    dialect: Dialect, bucket: Bucket, *, since: datetime | None, cutoff: datetime
) -> list[Any]:
    """Closed buckets with events received in [since, cutoff), plus the buckets that closed
    in that window: their events may have been received earlier, while they were open.

    Every bucket closes in exactly one run's window, so each is computed when it closes, and
    again whenever a late event for it arrives; the dirty scan reads only the window.
    """
    span = _span(bucket)
    keys = {
        dialect.key_start(k): k
        for k in _dirty(dialect, bucket, since=since, until=cutoff)
        if dialect.key_start(k) + span <= cutoff
    }
    if since is not None:
        start = bucket.floor(since)
        while start + span <= cutoff:
            keys.setdefault(start, dialect.key_of(start))
            start += span
    return [keys[start] for start in sorted(keys)]


def _span(bucket: Bucket) -> timedelta:
    return timedelta(seconds=bucket.seconds)


def _locked_dialect(bucket: Bucket) -> Dialect:
    """One run per bucket size at a time. SQLite transactions here are IMMEDIATE (settings),
    which serialises writers already; PostgreSQL takes a transaction-level advisory lock."""
    dialect = Dialect(connection)
    if dialect.postgres:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", [f"telemetry:{bucket.size}"]
            )
            # Sorting a million durations for percentile_cont wants more than the 4MB default.
            cursor.execute(f"SET LOCAL work_mem = '{settings.TELEMETRY_AGGREGATION_WORK_MEM}'")
    return dialect


def _dirty(
    dialect: Dialect, bucket: Bucket, *, since: datetime | None, until: datetime
) -> list[Any]:
    params = [dialect.param(until)] + ([dialect.param(since)] if since else [])
    with connection.cursor() as cursor:
        cursor.execute(dialect.dirty_buckets_sql(bucket, since=since is not None), params)
        return sorted(row[0] for row in cursor.fetchall())


def _upsert(
    dialect: Dialect,
    bucket: Bucket,
    *,
    low: datetime,
    high: datetime,
    keys: Sequence[Any] | None,
    now: datetime,
) -> None:
    """Summaries of the buckets (and, for days, the cohort figures of those days)."""
    where: list[Any] = [dialect.param(low), dialect.param(high)]
    if keys is not None:
        where += [list(keys)] if dialect.postgres else list(keys)
    with connection.cursor() as cursor:
        cursor.execute(
            dialect.upsert_sql(bucket, keys=keys), [bucket.size, dialect.param(now), *where]
        )
        if bucket is DAY:
            cursor.execute(dialect.cohort_day_upsert_sql(keys=keys), [dialect.param(now), *where])


def _chunks(keys: list[Any]) -> Iterator[list[Any]]:
    for i in range(0, len(keys), KEYS_PER_STATEMENT):
        yield keys[i : i + KEYS_PER_STATEMENT]
