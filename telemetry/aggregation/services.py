"""Aggregate closed time buckets into summaries: exact, idempotent and crash-safe.

Which buckets: those that closed since the last run (the fill state `received_until` is the
previous run's cutoff), and closed ones holding events *received* since then, so an event that
arrives late (a browser batch sent after its bucket closed) still gets its bucket recomputed.
A bucket is always recomputed whole from the raw events and upserted, so running twice changes
nothing. The upsert and the move of the fill state share one transaction: a run that dies
leaves both as they were, and the next run redoes the same buckets whole.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from telemetry.aggregation.sql import BUCKETS, Bucket, Dialect
from telemetry.models import AggregationState

# SQLite allows a limited number of bound parameters per statement.
KEYS_PER_STATEMENT = 500


@dataclass(frozen=True)
class RunResult:
    bucket_size: str
    buckets: int
    received_until: datetime | None


def summaries_aggregate_closed(*, now: datetime | None = None) -> list[RunResult]:
    """Bring the summaries of every bucket size up to date with closed buckets."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.TELEMETRY_AGGREGATION_DELAY_SECONDS)
    return [_aggregate_received(bucket, cutoff=cutoff, now=now) for bucket in BUCKETS]


def summaries_rebuild(
    *, since: datetime, until: datetime, bucket_sizes: Sequence[str] | None = None
) -> list[RunResult]:
    """Recompute every bucket overlapping [since, until) from raw events (backfill).

    The fill state is not moved: the regular runs go on from where they were.
    """
    results = []
    for bucket in BUCKETS:
        if bucket_sizes is not None and bucket.size not in bucket_sizes:
            continue
        low, high = bucket.floor(since), bucket.ceil(until)
        with transaction.atomic():
            dialect = _locked_dialect(bucket)
            _upsert(dialect, bucket, low=low, high=high, keys=None, now=timezone.now())
        buckets = int((high - low).total_seconds() // bucket.seconds)
        results.append(RunResult(bucket.size, buckets, None))
    return results


def _aggregate_received(bucket: Bucket, *, cutoff: datetime, now: datetime) -> RunResult:
    started = time.monotonic()
    with transaction.atomic():
        dialect = _locked_dialect(bucket)
        state, _ = AggregationState.objects.get_or_create(bucket_size=bucket.size)
        since = state.received_until
        if since is not None and since >= cutoff:
            return RunResult(bucket.size, 0, since)
        keys = _buckets_to_compute(dialect, bucket, since=since, cutoff=cutoff)
        for chunk in _chunks(keys):
            starts = [dialect.key_start(k) for k in chunk]
            low, high = min(starts), max(starts) + _span(bucket)
            _upsert(dialect, bucket, low=low, high=high, keys=chunk, now=now)
        AggregationState.objects.filter(pk=state.pk).update(
            received_until=cutoff,
            last_run_at=now,
            last_run_seconds=time.monotonic() - started,
            last_run_buckets=len(keys),
        )
    return RunResult(bucket.size, len(keys), cutoff)


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
    params: list[Any] = [dialect.param(low), dialect.param(high)]
    if keys is not None:
        params += [list(keys)] if dialect.postgres else list(keys)
    params = [bucket.size, dialect.param(now), *params]
    with connection.cursor() as cursor:
        cursor.execute(dialect.upsert_sql(bucket, keys=keys), params)


def _chunks(keys: list[Any]) -> Iterator[list[Any]]:
    for i in range(0, len(keys), KEYS_PER_STATEMENT):
        yield keys[i : i + KEYS_PER_STATEMENT]
