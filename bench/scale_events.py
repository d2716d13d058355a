"""Telemetry at scale: a backlog of millions of raw events caught up, and the dashboard over it.

    .venv/bin/python bench/scale_events.py [--events 1000000 5000000] [--repeat 3]

Needs PostgreSQL (BENCH_SCALE_EVENTS_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/llmhub_scale_agg_bench, dropped and created afresh, and
dropped again at the end unless --keep).

For each size N:
1. N raw events generated in PostgreSQL (INSERT ... SELECT generate_series) over the last 30
   days, received when they occurred, nothing aggregated yet: what a worker outage or an upgrade
   over stored events leaves. Half are api_calls, the rest page views, timings, feature use,
   errors and warnings, over 5,000 users, two cohorts, 6 pages.
2. The dashboard's data (telemetry.selectors.dashboard_data, what /telemetry/ and its JSON
   render) for the last day and the last 30 days, before any aggregation (all raw).
3. The backlog caught up through the real service, summaries_aggregate_closed, one chunk per
   bucket size per call (TELEMETRY_AGGREGATION_CHUNK_EVENTS events each); timed per call, in
   total, and as events/s. A scheduled run does calls like these for
   TELEMETRY_AGGREGATION_RUN_SECONDS, so the slowest call must fit well inside the task's 50 s
   soft limit. The summaries are checked: every event counted once per bucket size.
4. The dashboard again, now reading summaries for closed buckets and raw events for the tail.
Medians of --repeat reads (before aggregation: one read, they are slow). Targets (issue 16):
catch-up time linear in events; 30 days of dashboard under 500 ms at 5 M events.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database  # noqa: E402

DATABASE_URL = os.environ.get(
    "BENCH_SCALE_EVENTS_DATABASE_URL",
    "postgres://postgres@127.0.0.1:5432/llmhub_scale_agg_bench",
)
DAYS = 30

GENERATE = """
INSERT INTO telemetry_event (event_id, event_type, occurred_at, received_at, user_id,
    session_id, request_id, page, tab, feature, action, flag, cohort, duration_ms, status,
    path, method, properties)
SELECT gen_random_uuid(), kind, at, at, 'user' || (i %% 5000), '', '',
       (ARRAY['hub','providers','keys','models','tiers','usage'])[1 + (i / 5) %% 6],
       (ARRAY['','keys','models'])[1 + (i / 30) %% 3], '', '',
       (ARRAY['','unified_llm_hub'])[1 + (i / 7) %% 2],
       (ARRAY['new_hub','old_pages'])[1 + (i / 3) %% 2],
       CASE WHEN kind IN ('api_call', 'page_view', 'performance') THEN random() * 800 END,
       CASE WHEN kind = 'api_call' THEN (ARRAY[200,200,200,200,200,200,201,404,403,500])
           [1 + (i / 11) %% 10] END,
       CASE WHEN kind = 'api_call' THEN '/api/v1/features/x' ELSE '' END, '', '{}'::jsonb
FROM generate_series(0, %(n)s - 1) AS i,
     LATERAL (SELECT %(start)s + (i::bigint * %(step)s) * interval '1 microsecond' AS at,
                     (ARRAY['api_call','api_call','api_call','api_call','api_call','page_view',
                            'page_view','performance','feature_usage','error','warning',
                            'api_call'])[1 + i %% 12] AS kind) AS generated
"""


def _setup() -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="llmhub.settings.local",
        DJANGO_DEBUG="false",  # DEBUG would keep every query
        DATABASE_URL=DATABASE_URL,
    )
    os.environ.pop("REDIS_URL", None)  # the dashboard and the service need no cache
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _generate(events: int, now: datetime) -> tuple[datetime, float]:
    from django.db import connection

    start = now - timedelta(days=DAYS)
    step = int((now - timedelta(minutes=1) - start).total_seconds() * 1e6 / events)
    began = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE telemetry_event, telemetry_eventsummary, telemetry_aggregationstate"
        )
        cursor.execute(GENERATE, {"n": events, "start": start, "step": step})
        cursor.execute("VACUUM ANALYZE telemetry_event")
    return start, time.monotonic() - began


def _median_seconds(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.monotonic()
        action()
        times.append(time.monotonic() - began)
    return statistics.median(times)


def _dashboard(repeat: int) -> dict[str, float]:
    from django.utils import timezone

    from telemetry.period import Period
    from telemetry.selectors import dashboard_data

    today = timezone.now().astimezone(UTC).date()
    figures: dict[str, float] = {}
    for days in (1, DAYS):
        period = Period(today - timedelta(days - 1), today)
        name = f"{days} day{'s' if days > 1 else ''}"
        figures[name] = _median_seconds(functools.partial(dashboard_data, period), repeat)
    return figures


def _catch_up() -> dict[str, float]:
    """Call the service until every bucket size is caught up, one chunk of each per call."""
    from telemetry.aggregation.services import summaries_aggregate_closed

    calls: list[float] = []
    chunks = 0
    while True:
        began = time.monotonic()
        results = summaries_aggregate_closed(budget_seconds=0)
        calls.append(time.monotonic() - began)
        chunks += sum(r.chunks for r in results)
        if all(r.caught_up for r in results):
            return {
                "total": sum(calls),
                "calls": len(calls),
                "chunks": chunks,
                "slowest call": max(calls),
                "median call": statistics.median(calls),
            }


def _check() -> None:
    """Every event of a closed bucket counted once per bucket size (the open hour waits)."""
    from django.db import connection
    from django.db.models import Sum

    from telemetry.models import AggregationState, EventSummary

    for state in AggregationState.objects.all():
        size = state.bucket_size
        counted = EventSummary.objects.filter(bucket_size=size).aggregate(n=Sum("count"))["n"]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM telemetry_event WHERE occurred_at < date_trunc(%s, %s)",
                [size, state.received_until],
            )
            closed = cursor.fetchone()[0]
        assert counted == closed, (size, counted, closed)


def bench_size(events: int, repeat: int) -> dict[str, float]:
    from django.conf import settings
    from django.utils import timezone

    now = timezone.now()
    _, generated = _generate(events, now)
    print(f"\n{events:,} events over {DAYS} days, generated in {generated:.0f} s")
    before = _dashboard(1)  # all raw: slow, read once
    caught = _catch_up()
    _check()
    after = _dashboard(repeat)
    run = settings.TELEMETRY_AGGREGATION_RUN_SECONDS
    print(
        f"  catch-up: {caught['total']:.1f} s, {events / caught['total']:,.0f} events/s; "
        f"{caught['chunks']:.0f} chunks of {settings.TELEMETRY_AGGREGATION_CHUNK_EVENTS:,} "
        f"events in {caught['calls']:.0f} calls (one chunk per bucket size each): "
        f"median {caught['median call']:.2f} s, slowest {caught['slowest call']:.2f} s; "
        f"runs of {run:.0f} s needed: {max(1, round(caught['total'] / run + 0.5))}"
    )
    for name in before:
        print(
            f"  dashboard, {name:<8} before aggregation {before[name] * 1000:>7.0f} ms, "
            f"after {after[name] * 1000:>5.0f} ms"
        )
    return {"events/s": events / caught["total"], **caught, **after}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    ensure_database(DATABASE_URL, fresh=True)
    _setup()
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at start")
    try:
        figures = {events: bench_size(events, args.repeat) for events in args.events}
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            _drop()
    print(f"load {os.getloadavg()[0]:.1f} at the end")
    if len(figures) > 1:
        rates = [f"{n:,}: {f['events/s']:,.0f}" for n, f in figures.items()]
        print("events/s by backlog size (linear when equal): " + ", ".join(rates))


def _drop() -> None:
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    admin = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
