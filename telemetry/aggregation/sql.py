"""The aggregation statement, one per database: the database groups, Python never loops over
events.

PostgreSQL: INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO UPDATE with percentile_cont.
SQLite (the embedded default) lacks percentile_cont, so the same linear-interpolation
percentile is computed in SQL from window functions: rank the durations of each group, then
pick the two ranks around p * (n - 1) and interpolate. Both give the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from telemetry.models import CohortDaySummary, Event, EventSummary

DIMENSIONS = "event_type, page, tab, flag, cohort"
SUMMARY_COLUMNS = (
    "bucket_size, bucket_start, event_type, page, tab, flag, cohort, "
    "count, users, errors, client_errors, p50_ms, p75_ms, p95_ms, max_ms, updated_at"
)
UPDATE_ON_CONFLICT = (
    "ON CONFLICT (bucket_size, bucket_start, event_type, page, tab, flag, cohort) DO UPDATE SET "
    "count = excluded.count, users = excluded.users, errors = excluded.errors, "
    "client_errors = excluded.client_errors, "
    "p50_ms = excluded.p50_ms, p75_ms = excluded.p75_ms, p95_ms = excluded.p95_ms, "
    "max_ms = excluded.max_ms, "
    "updated_at = excluded.updated_at"
)
# A request under /api/ or /ofrep/ is counted once, by its api_call's status: the other
# events about it (the middleware's error event with the traceback, the security event of a
# 401/403/429, a browser's report of a failed fetch) describe the same request.
_COUNTED_BY_ITS_API_CALL = (
    "(event_type <> 'api_call' AND "
    "(substr(path, 1, 5) = '/api/' OR substr(path, 1, 7) = '/ofrep/'))"
)
# Server errors (what the rollout is judged by): error events and 5xx answers.
ERRORS = (
    "SUM(CASE WHEN (event_type = 'error' OR status >= 500) "
    f"AND NOT {_COUNTED_BY_ITS_API_CALL} THEN 1 ELSE 0 END)"
)
# Client errors, counted apart: 4xx answers (a missing page, a refused permission, bad input).
CLIENT_ERRORS = (
    "SUM(CASE WHEN event_type <> 'error' AND status >= 400 AND status < 500 "
    f"AND NOT {_COUNTED_BY_ITS_API_CALL} THEN 1 ELSE 0 END)"
)


@dataclass(frozen=True)
class Bucket:
    size: str
    seconds: int

    def floor(self, moment: datetime) -> datetime:
        moment = moment.astimezone(UTC)
        if self.size == "minute":
            return moment.replace(second=0, microsecond=0)
        if self.size == "day":
            return moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return moment.replace(minute=0, second=0, microsecond=0)

    def ceil(self, moment: datetime) -> datetime:
        floor = self.floor(moment)
        return floor if floor == moment else floor + timedelta(seconds=self.seconds)


MINUTE, HOUR, DAY = BUCKETS = (Bucket("minute", 60), Bucket("hour", 3600), Bucket("day", 86400))
# '%%': the SQL goes through Django's "%s" parameter style, where a literal % is doubled.
_SQLITE_FORMAT = {
    "minute": "%%Y-%%m-%%d %%H:%%M:00",
    "hour": "%%Y-%%m-%%d %%H:00:00",
    "day": "%%Y-%%m-%%d 00:00:00",
}
# Whose durations make a cohort's latency: page loads reported by pages, and API calls.
LATENCY_TYPES = ("performance", "page_view", "api_call")
_TIMED = (
    "CASE WHEN event_type IN ("
    + ", ".join(f"'{t}'" for t in LATENCY_TYPES)
    + ") THEN duration_ms END"
)
_VIEWER = "CASE WHEN event_type = 'page_view' AND user_id <> '' THEN user_id END"
COHORT_DAY_COLUMNS = "bucket_start, cohort, users, p95_ms, updated_at"


class Dialect:
    """SQL for one database. `bucket_key` values are what `dirty_buckets` returns."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection
        self.events = connection.ops.quote_name(Event._meta.db_table)
        self.summaries = connection.ops.quote_name(EventSummary._meta.db_table)
        self.cohort_days = connection.ops.quote_name(CohortDaySummary._meta.db_table)
        self.postgres = connection.vendor == "postgresql"

    def param(self, moment: datetime) -> Any:
        return self.connection.ops.adapt_datetimefield_value(moment)

    def trunc(self, bucket: Bucket) -> str:
        if self.postgres:
            return f"date_trunc('{bucket.size}', occurred_at)"
        return f"strftime('{_SQLITE_FORMAT[bucket.size]}', occurred_at)"

    def key_start(self, key: Any) -> datetime:
        """The start of a bucket, from a value of `dirty_buckets`."""
        if isinstance(key, datetime):
            return key.astimezone(UTC)
        return datetime.fromisoformat(str(key)).replace(tzinfo=UTC)

    def key_of(self, start: datetime) -> Any:
        """A bucket start as `dirty_buckets` would return it."""
        if self.postgres:
            return start
        return start.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")

    def dirty_buckets_sql(self, bucket: Bucket, *, since: bool) -> str:
        """Buckets of the events received in [since, until): params (until[, since])."""
        where = "received_at < %s" + (" AND received_at >= %s" if since else "")
        return f"SELECT DISTINCT {self.trunc(bucket)} FROM {self.events} WHERE {where}"

    def upsert_sql(self, bucket: Bucket, *, keys: Sequence[Any] | None) -> str:
        """Aggregate events with occurred_at in [%s, %s) (and, given keys, in those buckets)."""
        where = self._where(bucket, keys)
        if self.postgres:
            return self._postgres(bucket, where)
        return self._sqlite(bucket, where)

    def _where(self, bucket: Bucket, keys: Sequence[Any] | None) -> str:
        where = "occurred_at >= %s AND occurred_at < %s"
        if keys is not None:
            where += (
                f" AND {self.trunc(bucket)} = ANY(%s)"
                if self.postgres
                else f" AND {self.trunc(bucket)} IN ({', '.join(['%s'] * len(keys))})"
            )
        return where

    def cohort_day_upsert_sql(self, *, keys: Sequence[Any] | None) -> str:
        """Per day and cohort, what no summary row adds up to: distinct page-view users and
        the p95 of timed events. Params: updated_at, then those of `upsert_sql`'s where."""
        where = self._where(DAY, keys)
        insert = f"INSERT INTO {self.cohort_days} ({COHORT_DAY_COLUMNS}) "
        conflict = (
            "ON CONFLICT (bucket_start, cohort) DO UPDATE SET users = excluded.users, "
            "p95_ms = excluded.p95_ms, updated_at = excluded.updated_at"
        )
        if self.postgres:
            return (
                f"{insert}SELECT {self.trunc(DAY)}, cohort, COUNT(DISTINCT {_VIEWER}), "
                f"percentile_cont(0.95) WITHIN GROUP (ORDER BY {_TIMED}), %s "
                f"FROM {self.events} WHERE {where} GROUP BY 1, 2 {conflict}"
            )
        timed = f"SELECT *, {_TIMED} AS timed FROM {self.events} WHERE {where}"
        ranked = (
            f"SELECT {self.trunc(DAY)} AS bucket, cohort, event_type, user_id, "
            "timed AS duration_ms, ROW_NUMBER() OVER ranks - 1 AS rn, "
            f"COUNT(timed) OVER ranks_all AS n FROM ({timed}) AS timed_events "
            f"WINDOW ranks_all AS (PARTITION BY {self.trunc(DAY)}, cohort), "
            "ranks AS (ranks_all ORDER BY timed IS NULL, timed)"
        )
        grouped = (
            f"SELECT bucket, cohort, COUNT(DISTINCT {_VIEWER}), {_percentile(0.95)}, %s "
            f"FROM ({ranked}) AS ranked GROUP BY bucket, cohort"
        )
        return f"{insert}SELECT * FROM ({grouped}) AS grouped WHERE true {conflict}"

    def _postgres(self, bucket: Bucket, where: str) -> str:
        return (
            f"INSERT INTO {self.summaries} ({SUMMARY_COLUMNS}) "
            f"{self.select_sql(bucket, where)} {UPDATE_ON_CONFLICT}"
        )

    def _sqlite(self, bucket: Bucket, where: str) -> str:
        # "WHERE true": SQLite needs it to parse ON CONFLICT after INSERT ... SELECT.
        return (
            f"INSERT INTO {self.summaries} ({SUMMARY_COLUMNS}) "
            f"SELECT * FROM ({self.select_sql(bucket, where)}) AS grouped WHERE true "
            f"{UPDATE_ON_CONFLICT}"
        )

    def select_sql(self, bucket: Bucket, where: str) -> str:
        """The summary rows of the events matching `where`, in SUMMARY_COLUMNS order, without
        storing them: the upsert stores them; the dashboard reads the still-open tail this way,
        so fresh figures follow exactly the same rules. Params: bucket size, updated_at, then
        those of `where`."""
        if self.postgres:
            return (
                f"SELECT %s, {self.trunc(bucket)}, {DIMENSIONS}, COUNT(*), "
                f"COUNT(DISTINCT NULLIF(user_id, '')), {ERRORS}, {CLIENT_ERRORS}, "
                "percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms), "
                "percentile_cont(0.75) WITHIN GROUP (ORDER BY duration_ms), "
                "percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms), MAX(duration_ms), %s "
                f"FROM {self.events} WHERE {where} "
                f"GROUP BY 2, {DIMENSIONS} ORDER BY 2, {DIMENSIONS}"
            )
        ranked = (
            f"SELECT {self.trunc(bucket)} AS bucket, {DIMENSIONS}, user_id, status, path, "
            "duration_ms, ROW_NUMBER() OVER ranks - 1 AS rn, "
            "COUNT(duration_ms) OVER ranks_all AS n "
            f"FROM {self.events} WHERE {where} "
            f"WINDOW ranks_all AS (PARTITION BY {self.trunc(bucket)}, {DIMENSIONS}), "
            "ranks AS (ranks_all ORDER BY duration_ms IS NULL, duration_ms)"
        )
        return (
            f"SELECT %s, bucket, {DIMENSIONS}, COUNT(*), COUNT(DISTINCT NULLIF(user_id, '')), "
            f"{ERRORS}, {CLIENT_ERRORS}, {_percentile(0.5)}, {_percentile(0.75)}, "
            f"{_percentile(0.95)}, "
            f"MAX(duration_ms), %s FROM ({ranked}) AS ranked GROUP BY bucket, {DIMENSIONS}"
        )


def _percentile(p: float) -> str:
    """percentile_cont(p) over the ranked durations of a group (rn 0..n-1, NULLs ranked last)."""
    position = f"({p} * (n - 1))"
    low_rank = f"CAST({position} AS INTEGER)"
    low = f"MAX(CASE WHEN rn = {low_rank} AND rn < n THEN duration_ms END)"
    high = f"MAX(CASE WHEN rn = {low_rank} + 1 AND rn < n THEN duration_ms END)"
    fraction = f"MAX({position} - {low_rank})"
    return f"({low} + {fraction} * (COALESCE({high}, {low}) - {low}))"
