"""Writes of raw events: every stored event goes through here (storage layer: below the
buffer and the recording that feed it, above the rows it stores)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import Min
from django.utils import timezone

from telemetry.log import log_row
from telemetry.models import DroppedEventCount, Event
from telemetry.rows import browser_row

# One INSERT statement per this many rows: large enough to amortise the round trip, small
# enough to stay under SQLite's bound-parameter limit (19 columns per row).
INSERT_BATCH = 500
PRUNE_WINDOW = timedelta(hours=1)


def events_store(*, rows: list[dict[str, Any]]) -> int:
    """Insert rows in bulk; returns how many were new. An event id already stored is skipped
    by the unique constraint, never by an application check."""
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        return _insert_copy(rows)
    with transaction.atomic():
        ids = {row["event_id"] for row in rows}
        existing = Event.objects.filter(event_id__in=list(ids)).count()
        objs = [Event(**row) for row in rows]
        Event.objects.bulk_create(objs, batch_size=INSERT_BATCH, ignore_conflicts=True)
    return len(ids) - existing


def _insert_copy(rows: list[dict[str, Any]]) -> int:
    """PostgreSQL: binary COPY straight into the table; if an event id is already stored (a
    retried batch), the COPY is undone to its savepoint and the rows go through a staging
    table and one INSERT ... SELECT ... ON CONFLICT DO NOTHING, whose row count says exactly
    which rows were new, even under concurrent retries.

    Why COPY: the web processes' background flush writes every API call, and its CPU time
    holds the GIL while requests wait. Binding column arrays (unnest) cost about 33 µs of
    Python per event, binary COPY about 8 µs; copying straight in (the usual case: ids made
    here are new) saves PostgreSQL the staging round (bench/flush_bench.py,
    docs/PERFORMANCE.md).
    """
    table = connection.ops.quote_name(Event._meta.db_table)
    with transaction.atomic():
        try:
            with transaction.atomic(), connection.cursor() as cursor:  # a savepoint
                _copy(cursor, table, rows)
            return len(rows)
        except IntegrityError:
            pass  # some id is stored already (or a value breaks a constraint: raised below)
        names = _column_names()
        with connection.cursor() as cursor:
            # Created once per server session and emptied at every commit, so it also works
            # behind a transaction pooler; emptied below too, for callers inside a longer
            # transaction.
            # Identifiers only, from Event's _meta: nothing here comes from input.
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING_TABLE} ON COMMIT DELETE ROWS "  # nosec B608
                f"AS SELECT {names} FROM {table} WITH NO DATA"
            )
            _copy(cursor, STAGING_TABLE, rows)
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT {names} FROM {STAGING_TABLE} "  # nosec B608
                "ON CONFLICT (event_id) DO NOTHING"
            )
            stored = int(cursor.rowcount)
            cursor.execute(f"TRUNCATE {STAGING_TABLE}")
            return stored


def _copy(cursor: Any, table: str, rows: list[dict[str, Any]]) -> None:
    fields = _copy_fields()
    copy_sql = f"COPY {table} ({_column_names()}) FROM STDIN (FORMAT BINARY)"
    # Django wraps execute() errors in its own classes, not copy()'s: wrap them alike.
    values = itemgetter(*(f.name for f in fields))  # a row's values in column order, in C
    with connection.wrap_database_errors, cursor.copy(copy_sql) as copy:
        copy.set_types([_copy_type(f) for f in fields])
        for row in rows:
            status = row["status"]
            if status is not None and not 0 <= status <= SMALLINT_MAX:
                # The binary int2 dumper would wrap it silently (70000 -> 4464).
                raise DataError(f"event {row.get('event_id')!s}: status {status} out of range")
            try:
                copy.write_row(values(row))
            except (TypeError, ValueError, AttributeError) as exc:
                # psycopg's binary dumpers refuse a value (a naive time, an id that is not a
                # UUID) with Python's errors: say what the database would have said.
                raise DataError(f"event {row.get('event_id')!s}: {exc}") from exc


def _column_names() -> str:
    return ", ".join(connection.ops.quote_name(f.attname) for f in _copy_fields())


STAGING_TABLE = "telemetry_event_staging"
SMALLINT_MAX = 32767  # Event.status is a PositiveSmallIntegerField


def _copy_fields() -> list[Any]:
    return [f for f in Event._meta.concrete_fields if not f.primary_key]


def _copy_type(field: Any) -> str:
    """The PostgreSQL type whose binary dumper psycopg uses for a column ("varchar(150)" is
    sent as text, the same bytes)."""
    db_type = str(field.db_type(connection))
    return "text" if db_type.startswith("varchar") else db_type


def dropped_events_store(*, counts: dict[str, int]) -> None:
    """Add the events a process buffer dropped, by type, to the counts of this minute (one
    upsert: processes reporting in the same minute add up)."""
    if not counts:
        return
    table = connection.ops.quote_name(DroppedEventCount._meta.db_table)
    # The same upsert syntax works on PostgreSQL and SQLite (3.24+).
    sql = (
        f"INSERT INTO {table} (bucket_start, event_type, count) VALUES (%s, %s, %s) "  # nosec B608
        "ON CONFLICT (bucket_start, event_type) "
        f"DO UPDATE SET count = {table}.count + excluded.count"
    )
    minute = timezone.now().replace(second=0, microsecond=0)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, [(minute, kind, n) for kind, n in sorted(counts.items())])


@dataclass(frozen=True)
class IngestResult:
    stored: int
    duplicates: int


def events_ingest(
    *, events: list[dict[str, Any]], user_id: str, session_id: str, request_id: str
) -> IngestResult:
    """Store a validated browser batch, all or nothing, and say how many were new.

    The unique event id does the deduplication (ON CONFLICT DO NOTHING / ignore_conflicts).
    Each event is also one JSON log line. A time in the future (a client clock running fast)
    is clamped to now, which aggregation relies on (occurred_at <= received_at).
    """
    now = timezone.now()
    identity = {"user_id": user_id, "session_id": session_id, "request_id": request_id}
    unique: dict[Any, dict[str, Any]] = {}
    for event in events:
        row = browser_row(event, now=now, identity=identity)
        unique.setdefault(row["event_id"], row)
        log_row(row)
    stored = events_store(rows=list(unique.values()))
    return IngestResult(stored=stored, duplicates=len(events) - stored)


def events_prune(*, older_than_days: int | None = None) -> int:
    """Delete raw events older than the retention period (summaries stay). Returns the count."""
    days = settings.TELEMETRY_RETENTION_DAYS if older_than_days is None else older_than_days
    # At a midnight (UTC), so no hour or minute bucket is left half pruned: a backfill over it
    # would otherwise overwrite its summary with a partial count.
    cutoff = (timezone.now() - timedelta(days=days)).astimezone(UTC)
    cutoff = cutoff.replace(hour=0, minute=0, second=0, microsecond=0)
    oldest = Event.objects.filter(occurred_at__lt=cutoff).aggregate(Min("occurred_at"))
    start: datetime | None = oldest["occurred_at__min"]
    deleted = 0
    # Hour by hour: short transactions, instead of one DELETE holding millions of rows.
    while start is not None and start < cutoff:
        end = min(start + PRUNE_WINDOW, cutoff)
        deleted += Event.objects.filter(occurred_at__lt=end).delete()[0]
        start = end
    return deleted
