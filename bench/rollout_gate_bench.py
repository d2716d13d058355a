"""The rollout gates over one hour of 1,000,000 events: what each decision tick computes.

    .venv/bin/python bench/rollout_gate_bench.py [--events 1000000] [--repeat 5] [--keep]

Needs PostgreSQL (BENCH_ROLLOUT_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/llmhub_rollout_bench, dropped and created afresh, and
dropped again at the end unless --keep).

1. N raw events over the last hour, received when they occurred, every one in a cohort (the
   worst case: all of them count), page views, performance timings and API calls with
   durations, 1 % server errors; plus 2,000 feedback answers and 50 "back to the old pages".
2. The gates of a plan with a 60-minute window (rollout.selectors.plan_gate_report, exactly
   what the tick runs) before any aggregation: everything read raw.
3. The aggregation caught up (summaries_aggregate_closed, as the beat runs it), then the gates
   again: minute summaries for the closed part, the raw tail after the aggregation's frontier.
Medians of --repeat reads. Target (issue 14): <= 2 s with the summaries.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database  # noqa: E402

DATABASE_URL = os.environ.get(
    "BENCH_ROLLOUT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/llmhub_rollout_bench"
)

GENERATE = """
INSERT INTO telemetry_event (event_id, event_type, occurred_at, received_at, user_id,
    session_id, request_id, page, tab, feature, action, flag, cohort, duration_ms, status,
    path, method, properties)
SELECT gen_random_uuid(), kind, at, at, 'user' || (i %% 20000), '', '',
       (ARRAY['hub','providers','keys','models','tiers','usage'])[1 + (i / 5) %% 6], '', '', '',
       '', (ARRAY['new_hub','old_pages'])[1 + (i / 3) %% 2], random() * 800,
       CASE WHEN i %% 101 = 0 THEN 500 ELSE 200 END, '', '', '{}'::jsonb
FROM generate_series(0, %(n)s - 1) AS i,
     LATERAL (SELECT %(start)s + (i::bigint * %(step)s) * interval '1 microsecond' AS at,
                     (ARRAY['api_call','page_view','performance'])[1 + i %% 3] AS kind) AS g
"""
FEEDBACK = """
INSERT INTO telemetry_event (event_id, event_type, occurred_at, received_at, user_id,
    session_id, request_id, page, tab, feature, action, flag, cohort, duration_ms, status,
    path, method, properties)
SELECT gen_random_uuid(), CASE WHEN i < 50 THEN 'hub_opt_out' ELSE 'feedback' END, at, at,
       'user' || i, '', '', '', '', '', '', '', 'new_hub', NULL, NULL, '', '',
       jsonb_build_object('positive', i %% 10 <> 0)
FROM generate_series(0, 2049) AS i,
     LATERAL (SELECT %(start)s + (i::bigint * %(step)s) * interval '1 microsecond' AS at) AS g
"""


def _setup() -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="llmhub.settings.local",
        DJANGO_DEBUG="false",
        DATABASE_URL=DATABASE_URL,
    )
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _median_seconds(read: object, repeat: int) -> tuple[float, object]:
    timings, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = read()  # type: ignore[operator]
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    ensure_database(DATABASE_URL, fresh=True)
    _setup()
    from django.db import connection

    from flags.services import flag_create
    from llmhub.actors import Actor
    from rollout.selectors import plan_gate_report
    from rollout.services import plan_create
    from telemetry.aggregation.services import summaries_aggregate_closed

    now = datetime.now(UTC)
    start = now - timedelta(hours=1)
    actor = Actor.system("bench")
    flag_create(name="unified_llm_hub", actor=actor, source="command", enabled=True)
    plan = plan_create(flag_name="unified_llm_hub", actor=actor, now=now - timedelta(hours=2))
    step = int(3600 * 1_000_000 / args.events)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(GENERATE, {"n": args.events, "start": start, "step": step})
        cursor.execute(FEEDBACK, {"start": start, "step": int(3600 * 1_000_000 / 2050)})
        cursor.execute("ANALYZE telemetry_event")
    took = time.perf_counter() - started
    print(f"generated {args.events:,} events over the last hour in {took:.1f} s")

    def gates() -> object:
        return plan_gate_report(plan, now=now)

    raw_seconds, report = _median_seconds(gates, max(1, args.repeat // 2))
    print(f"gates, nothing aggregated (all raw):      {raw_seconds * 1000:8.0f} ms")
    started = time.perf_counter()
    summaries_aggregate_closed(now=now + timedelta(seconds=15), budget_seconds=3600)
    print(f"aggregation caught up in {time.perf_counter() - started:.1f} s")
    tail_start = now - timedelta(minutes=2)
    with connection.cursor() as cursor:  # a realistic open tail: the last two minutes raw
        cursor.execute("UPDATE telemetry_aggregationstate SET received_until = %s", [tail_start])
    seconds, report = _median_seconds(gates, args.repeat)
    print(f"gates, summaries + 2-minute raw tail:    {seconds * 1000:8.0f} ms  (target <= 2000 ms)")
    for gate in report.gates:  # type: ignore[attr-defined]
        print(f"  {gate.name:<13} {gate.status:<12} {gate.summary}")
    if not args.keep:
        connection.close()
        import psycopg

        admin = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE_URL.rsplit("/", 1)[1]}" WITH (FORCE)')


if __name__ == "__main__":
    main()
