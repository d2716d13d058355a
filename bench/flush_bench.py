"""What the web processes' background telemetry flush costs per event, in the process (where it
holds the GIL that requests wait for) and in PostgreSQL.

    .venv/bin/python bench/flush_bench.py [--batches 200] [--batch 300] [--prefill 1000000]

Needs PostgreSQL (BENCH_FLUSH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/llmhub_flush_bench, dropped and created afresh). Fills the
events table first (a day of a busy hub: its indexes no longer fit in a few pages), then writes
batches of api_call rows, as `telemetry.buffer` does, interleaved round by round, four ways:
- unnest:      the previous write, kept here as the reference: one INSERT ... SELECT FROM
               unnest(column arrays) with psycopg's client-side binding, random (v4) ids
- copy, v4:    `telemetry.services.events_store` (binary COPY straight into the table) with
               random ids
- copy, v7:    the same with time-ordered ids (`telemetry.ids.uuid7`), as recorded events get
- retried, v7: a batch whose first event is stored already: the COPY is undone and the batch
               goes through the staging table and INSERT ... ON CONFLICT DO NOTHING
CPU comes from /proc (this process and the database backend), so it depends little on what
else the machine runs. Medians per batch, divided by the batch size.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database  # noqa: E402

DATABASE_URL = os.environ.get(
    "BENCH_FLUSH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/llmhub_flush_bench"
)


def _setup() -> None:
    ensure_database(DATABASE_URL, fresh=True)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="llmhub.settings.local",
        DATABASE_URL=DATABASE_URL,
        LOG_LEVEL="WARNING",
        TELEMETRY_BACKGROUND_FLUSH="false",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _rows(count: int, make_id: Callable[[], uuid.UUID]) -> list[dict[str, Any]]:
    from telemetry.rows import build_row

    fields: dict[str, Any] = {"page": "/api/v1/features/<str:name>"}
    fields |= {"path": "/api/v1/features/bench-07"}
    fields |= {"method": "GET", "status": 200, "duration_ms": 0.31}
    return [build_row("api_call", {**fields, "event_id": make_id()}) for _ in range(count)]


def _insert_unnest(rows: list[dict[str, Any]]) -> None:
    """The write before binary COPY (client-side binding of 18 column arrays)."""
    from django.db import connection, transaction

    from telemetry.models import Event

    fields = [f for f in Event._meta.concrete_fields if not f.primary_key]
    columns = [
        [json.dumps(row[f.name]) for row in rows]
        if f.name == "properties"
        else [row[f.name] for row in rows]
        for f in fields
    ]
    table = connection.ops.quote_name(Event._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.attname) for f in fields)
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    sql = (
        f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) "
        "ON CONFLICT (event_id) DO NOTHING RETURNING 1"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, columns)
        cursor.fetchall()


def _prefill(count: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO telemetry_event (event_id, event_type, occurred_at, received_at, "
            "user_id, session_id, request_id, page, tab, feature, action, flag, cohort, "
            "duration_ms, status, path, method, properties) "
            "SELECT gen_random_uuid(), 'api_call', now() - n * interval '80 ms', "
            "now() - n * interval '80 ms', '', '', '', '/api/v1/features/<str:name>', '', '', "
            "'', '', '', 0.3, 200, '/api/v1/features/bench-07', 'GET', '{}' "
            "FROM generate_series(1, %s) AS n",
            [count],
        )
        cursor.execute("VACUUM ANALYZE telemetry_event")


def _backend_cpu() -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--batch", type=int, default=300)
    parser.add_argument("--prefill", type=int, default=1_000_000)
    args = parser.parse_args()
    _setup()
    _prefill(args.prefill)
    from telemetry.ids import uuid7
    from telemetry.services import events_store

    ways: dict[str, tuple[Callable[[list[dict[str, Any]]], Any], Callable[[], uuid.UUID]]] = {
        "unnest, v4 ids": (_insert_unnest, uuid.uuid4),
        "copy, v4 ids": (lambda rows: events_store(rows=rows), uuid.uuid4),
        "copy, v7 ids": (lambda rows: events_store(rows=rows), uuid7),
        "retried, v7 ids": (lambda rows: events_store(rows=rows), uuid7),
    }
    spent: dict[str, list[tuple[float, float, float]]] = {name: [] for name in ways}
    for _ in range(args.batches):  # interleaved, so the growing table weighs on each alike
        for name, (write, make_id) in ways.items():
            rows = _rows(args.batch, make_id)
            if name.startswith("retried"):
                events_store(rows=rows[:1])
            backend, process, wall = _backend_cpu(), time.process_time(), time.perf_counter()
            write(rows)
            wall, process = time.perf_counter() - wall, time.process_time() - process
            spent[name].append((process, _backend_cpu() - backend, wall))
    print(
        f"\n{args.batches} batches of {args.batch} api_call rows each way into a table of "
        f"{args.prefill:,} events, medians"
    )
    print(f"{'write':<16} {'process µs/event':>17} {'database µs/event':>18} {'wall ms/batch':>14}")
    for name, samples in spent.items():
        process = statistics.median(s[0] for s in samples) / args.batch * 1e6
        # Backend CPU ticks are coarse (10 ms): the mean over all batches, not the median.
        database = statistics.fmean(s[1] for s in samples) / args.batch * 1e6
        wall = statistics.median(s[2] for s in samples) * 1000
        print(f"{name:<16} {process:>17.1f} {database:>18.1f} {wall:>14.2f}")


if __name__ == "__main__":
    main()
