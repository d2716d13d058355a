"""Reads behind the dashboard: one period, every figure the rollout decision needs.

Additive figures (views, errors, API calls) come from the summaries: hour rows where the hour
aggregation has reached, minute rows after that. Distinct users and the p95 latency of a whole
day are not additive across summary rows, so those two are read from raw events (page views
and timings of human-scale volume, kept TELEMETRY_RETENTION_DAYS).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from telemetry.models import AggregationState, Event, EventSummary, FlagEvaluationCount
from telemetry.period import Period

COHORTS = ("new_hub", "old_pages")
# Whose durations make the latency figure: page loads reported by pages, and API calls.
LATENCY_TYPES = ("performance", "page_view", "api_call")


def percentile(values: list[float], p: float) -> float | None:
    """Linear interpolation between closest ranks: PostgreSQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    position = p * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def aggregated_until() -> dict[str, datetime | None]:
    return dict(AggregationState.objects.values_list("bucket_size", "received_until"))


def summary_rows(period: Period) -> QuerySet[EventSummary]:
    """Summary rows covering the period once each: hours, then minutes past the last hour."""
    hour_until = aggregated_until().get("hour")
    horizon = period.since
    if hour_until is not None:
        horizon = max(
            period.since, min(period.until, hour_until.replace(minute=0, second=0, microsecond=0))
        )
    hours = Q(bucket_size="hour", bucket_start__gte=period.since, bucket_start__lt=horizon)
    minutes = Q(bucket_size="minute", bucket_start__gte=horizon, bucket_start__lt=period.until)
    return EventSummary.objects.filter(hours | minutes)


def _series(period: Period) -> dict[str, dict[str, list[Any]]]:
    names = ("views", "users", "errors", "requests", "error_rate", "p95_ms")
    return {
        c: {n: [0 if n != "p95_ms" else None for _ in period.days] for n in names} for c in COHORTS
    }


def cohort_series(period: Period) -> dict[str, dict[str, list[Any]]]:
    """Per cohort and day: views, users, errors, requests, error rate and p95 latency."""
    index = {day: i for i, day in enumerate(period.days)}
    series = _series(period)
    rows = (
        summary_rows(period)
        .filter(cohort__in=COHORTS)
        .values("cohort", "event_type", day=TruncDate("bucket_start"))
        .annotate(count=Sum("count"), errors=Sum("errors"))
    )
    for row in rows:
        cohort, i = series[row["cohort"]], index[row["day"]]
        cohort["errors"][i] += row["errors"]
        if row["event_type"] == "page_view":
            cohort["views"][i] += row["count"]
        if row["event_type"] in ("page_view", "api_call"):
            cohort["requests"][i] += row["count"]
    for users in _users(period):
        series[users["cohort"]]["users"][index[users["day"]]] = users["users"]
    for (cohort_name, day), p95 in _p95(period).items():
        series[cohort_name]["p95_ms"][index[day]] = p95
    kept_from = _raw_events_kept_from()
    for cohort in series.values():
        cohort["error_rate"] = [
            round(e / r, 4) if r else None
            for e, r in zip(cohort["errors"], cohort["requests"], strict=True)
        ]
        for i, day in enumerate(period.days):
            if day < kept_from:  # raw events pruned: unknown, not zero
                cohort["users"][i] = None
    return series


def _raw_events_kept_from() -> date:
    """The first day whose raw events are all still stored (see events_prune)."""
    now = timezone.now().astimezone(UTC)
    return (now - timedelta(days=settings.TELEMETRY_RETENTION_DAYS)).date()


def _users(period: Period) -> Any:
    return (
        Event.objects.filter(
            event_type="page_view",
            cohort__in=COHORTS,
            occurred_at__gte=period.since,
            occurred_at__lt=period.until,
        )
        .exclude(user_id="")
        .values("cohort", day=TruncDate("occurred_at"))
        .annotate(users=Count("user_id", distinct=True))
    )


def _p95(period: Period) -> dict[tuple[str, date], float | None]:
    timed = Event.objects.filter(
        event_type__in=LATENCY_TYPES,
        cohort__in=COHORTS,
        occurred_at__gte=period.since,
        occurred_at__lt=period.until,
        duration_ms__isnull=False,
    )
    if connection.vendor == "postgresql":
        return _p95_postgres(period)
    durations: defaultdict[tuple[str, date], list[float]] = defaultdict(list)
    for cohort, moment, duration in timed.values_list("cohort", "occurred_at", "duration_ms"):
        if duration is not None:
            durations[cohort, moment.astimezone(UTC).date()].append(duration)
    return {key: percentile(values, 0.95) for key, values in durations.items()}


def _p95_postgres(period: Period) -> dict[tuple[str, date], float | None]:
    table = connection.ops.quote_name(Event._meta.db_table)
    sql = (
        "SELECT cohort, (occurred_at AT TIME ZONE 'UTC')::date, "
        "percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) "
        f"FROM {table} WHERE event_type = ANY(%s) AND cohort = ANY(%s) "
        "AND occurred_at >= %s AND occurred_at < %s AND duration_ms IS NOT NULL GROUP BY 1, 2"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(LATENCY_TYPES), list(COHORTS), period.since, period.until])
        return {(cohort, day): p95 for cohort, day, p95 in cursor.fetchall()}


def flag_series(period: Period) -> list[dict[str, Any]]:
    """Per flag: evaluations on and off, in total and per day."""
    index = {day: i for i, day in enumerate(period.days)}
    flags: dict[str, dict[str, Any]] = {}
    rows = (
        FlagEvaluationCount.objects.filter(
            bucket_start__gte=period.since, bucket_start__lt=period.until
        )
        .values("flag", "enabled", day=TruncDate("bucket_start"))
        .annotate(count=Sum("count"))
    )
    for row in rows:
        entry = flags.setdefault(
            row["flag"],
            {
                "flag": row["flag"],
                "on": 0,
                "off": 0,
                "on_by_day": [0] * len(index),
                "off_by_day": [0] * len(index),
            },
        )
        side = "on" if row["enabled"] else "off"
        entry[side] += row["count"]
        entry[f"{side}_by_day"][index[row["day"]]] += row["count"]
    return sorted(flags.values(), key=lambda f: -(f["on"] + f["off"]))


def api_endpoints(period: Period, *, limit: int = 50) -> list[dict[str, Any]]:
    rows = (
        summary_rows(period)
        .filter(event_type="api_call")
        .values("page")
        .annotate(calls=Sum("count"), errors=Sum("errors"))
        .order_by("-calls", "page")[:limit]
    )
    return [{"endpoint": r["page"], "calls": r["calls"], "errors": r["errors"]} for r in rows]


def dashboard_data(period: Period) -> dict[str, Any]:
    """Everything the dashboard shows, as plain JSON-ready data."""
    return {
        "period": {
            "since": period.first_day.isoformat(),
            "until": period.last_day.isoformat(),
            "days": len(period.days),
        },
        "days": [day.isoformat() for day in period.days],
        "cohorts": cohort_series(period),
        "flags": flag_series(period),
        "api": api_endpoints(period),
        "aggregated_until": {
            k: v.isoformat() if v else None for k, v in aggregated_until().items()
        },
    }
