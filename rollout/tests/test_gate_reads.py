"""The gates' figures read the aggregation's summaries plus the raw tail, and agree with an
all-raw read: what the minute summaries hold is not read again from raw events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rollout.tests.traffic import record_feedback, record_requests
from telemetry.aggregation.services import summaries_aggregate_closed
from telemetry.aggregation.sql import MINUTE
from telemetry.buffer import process_buffer
from telemetry.cohort_window import cohort_window, feedback_window
from telemetry.models import EventSummary
from telemetry.recording import record_event

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quiet_events")]


def _figures(since, until):
    got = cohort_window(since=since, until=until, cohorts=("new_hub", "old_pages"))
    return {c: (w.requests, w.errors, w.timed, round(w.p75_ms or 0, 6)) for c, w in got.items()}


def test_cohort_window__summaries_plus_tail__equal_the_all_raw_read() -> None:
    # given 40 minutes of traffic, with latency growing over time, the last ten of them ahead
    # of the clock (so the aggregation, run now, leaves them to the raw tail)
    now = MINUTE.floor(timezone.now()) + timedelta(minutes=10)
    since = now - timedelta(minutes=40)
    for minute in range(40):
        at = since + timedelta(minutes=minute)
        record_requests(
            "new_hub",
            requests=30,
            errors=minute % 3,
            at=at,
            spread=timedelta(seconds=50),
            latency_ms=100 + minute,
        )
        record_requests(
            "old_pages", requests=20, errors=0, at=at, spread=timedelta(seconds=50), latency_ms=150
        )
    raw = _figures(since, now)

    # when the aggregation has summarised what has closed (all but the last ten minutes)
    summaries_aggregate_closed(now=timezone.now() + timedelta(seconds=20))
    mixed = _figures(since, now)
    assert EventSummary.objects.filter(bucket_size="minute", cohort="new_hub").count() >= 29

    # then the figures are the same, and the summarised part was not read raw
    assert mixed == raw
    assert raw["new_hub"][:3] == (1200, sum(m % 3 for m in range(40)), 1200)
    with CaptureQueriesContext(connection) as queries:
        _figures(since, now)
    tail_reads = [q["sql"] for q in queries if "percentile" in q["sql"] or "ROW_NUMBER" in q["sql"]]
    assert len(tail_reads) == 1
    summary_reads = [q["sql"] for q in queries if "telemetry_eventsummary" in q["sql"]]
    assert len(summary_reads) == 1


def test_feedback_window__counts_answers_and_opt_outs_per_cohort() -> None:
    now = timezone.now()
    record_feedback("new_hub", positive=7, negative=3, at=now - timedelta(minutes=5))
    record_event(
        "hub_opt_out", deferred=True, cohort="new_hub", occurred_at=now - timedelta(minutes=1)
    )
    process_buffer.flush()

    got = feedback_window(
        since=now - timedelta(hours=1), until=now, cohorts=("new_hub", "old_pages")
    )

    assert (got["new_hub"].positive, got["new_hub"].answers, got["new_hub"].opt_outs) == (7, 10, 1)
    assert got["old_pages"].answers == 0
