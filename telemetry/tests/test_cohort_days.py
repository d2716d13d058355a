"""Closed days from summaries: the day rows and the cohort figures no sum of rows gives
(distinct users, p95), so the dashboard reads raw events only for the open tail (issue 16,
point 7)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from telemetry.aggregation.services import summaries_aggregate_closed
from telemetry.aggregation.sql import LATENCY_TYPES
from telemetry.models import CohortDaySummary, Event, EventSummary
from telemetry.selectors import percentile
from telemetry.tests.factories import EventFactory
from telemetry.tests.test_aggregation import NOW, _seed

pytestmark = pytest.mark.django_db


def _expected_cohort_days() -> dict[tuple[Any, str], tuple[int, float | None]]:
    """Users and p95 per day and cohort, the slow, obvious way."""
    users: defaultdict[tuple[Any, str], set[str]] = defaultdict(set)
    durations: defaultdict[tuple[Any, str], list[float]] = defaultdict(list)
    for e in Event.objects.all():
        key = (e.occurred_at.replace(hour=0, minute=0, second=0, microsecond=0), e.cohort)
        users[key]  # every cohort seen that day has a row, with 0 users when nobody viewed
        if e.event_type == "page_view" and e.user_id:
            users[key].add(e.user_id)
        if e.event_type in LATENCY_TYPES and e.duration_ms is not None:
            durations[key].append(e.duration_ms)
    return {key: (len(users[key]), percentile(durations[key], 0.95)) for key in users}


def test_aggregate__closed_days__store_users_and_p95_per_cohort() -> None:
    # given events over two closed days and today
    _seed(1200, start=NOW - timedelta(hours=40), spread_minutes=39 * 60)
    # when aggregated
    summaries_aggregate_closed(now=NOW)
    # then the closed days' cohort figures are exact; today, still open, has none
    today = NOW.replace(hour=0, minute=0, second=0, microsecond=0)
    expected = {k: v for k, v in _expected_cohort_days().items() if k[0] < today}
    stored = {
        (c.bucket_start, c.cohort): (c.users, c.p95_ms) for c in CohortDaySummary.objects.all()
    }
    assert stored.keys() == expected.keys() and len(stored) >= 4
    for key, (users, p95) in expected.items():
        assert stored[key][0] == users, key
        assert stored[key][1] == pytest.approx(p95, abs=1e-9), key


def _seed_days(days: int) -> None:
    """Page views and timed API calls of both cohorts on each of the last `days` days."""
    rng = random.Random(5)
    midnight = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = []
    for day in range(days):
        start = midnight - timedelta(days=day)
        for i in range(60):
            at = start + timedelta(minutes=rng.uniform(0, 23 * 60 if day else 1))
            rows.append(
                EventFactory.build(
                    event_type=rng.choice(["page_view", "api_call", "performance"]),
                    cohort=rng.choice(["new_hub", "old_pages"]),
                    user_id=f"user{i % 9}",
                    duration_ms=rng.uniform(1, 900),
                    status=rng.choice([200, 200, 404, 500]),
                    occurred_at=at,
                    received_at=at,
                )
            )
    Event.objects.bulk_create(rows)


def test_dashboard__closed_days__read_from_summaries_raw_only_for_the_open_day(
    dashboard_reader: Client,
) -> None:
    # given three days of events, all of them aggregated
    _seed_days(3)
    summaries_aggregate_closed(now=timezone.now() + timedelta(minutes=2))
    shown = dashboard_reader.get("/telemetry/data.json?days=3").json()
    # when the raw events of the closed days are gone (as pruning does, much later)
    midnight = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert Event.objects.filter(occurred_at__lt=midnight).delete()[0] > 100
    # then every figure of every day is still the same: closed days come from summaries
    again = dashboard_reader.get("/telemetry/data.json?days=3").json()
    assert again["cohorts"] == shown["cohorts"]
    assert any(u for u in shown["cohorts"]["new_hub"]["users"][:2])
    assert any(p is not None for p in shown["cohorts"]["old_pages"]["p95_ms"][:2])
    # and today's tail is still read raw: a new page view shows at once
    EventFactory(event_type="page_view", cohort="new_hub", user_id="newcomer")
    fresh = dashboard_reader.get("/telemetry/data.json?days=3").json()
    assert fresh["cohorts"]["new_hub"]["users"][-1] == shown["cohorts"]["new_hub"]["users"][-1] + 1


def test_dashboard__month_of_aggregated_events__reads_day_rows_not_hours(
    dashboard_reader: Client,
) -> None:
    # given 30 days aggregated
    _seed_days(30)
    summaries_aggregate_closed(now=timezone.now() + timedelta(minutes=2))
    shown = dashboard_reader.get("/telemetry/data.json?days=30").json()
    views = sum(sum(shown["cohorts"][c]["views"]) for c in ("new_hub", "old_pages"))
    assert views == Event.objects.filter(event_type="page_view").count()
    # when the hour and minute rows of the closed days are gone
    midnight = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    finer = EventSummary.objects.filter(bucket_size__in=["hour", "minute"])
    assert finer.filter(bucket_start__lt=midnight).delete()[0] > 30 * 10
    # then the month reads the same: one day row per day and dimensions, not 24 hour rows
    assert (
        dashboard_reader.get("/telemetry/data.json?days=30").json()["cohorts"] == shown["cohorts"]
    )
