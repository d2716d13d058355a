"""Reads behind the dashboard: one period, every figure the rollout decision needs.

Additive figures (views, server and client errors, API calls) come from the summaries of
closed buckets (hour rows where the hour aggregation has reached, minute rows after that)
and, for the tail the aggregation has not reached yet, from raw events through the same SQL.
Distinct users and the p95 latency of a whole day are not additive across summary rows, so
those two are read from raw events (page views and timings of human-scale volume, kept
TELEMETRY_RETENTION_DAYS).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from flags.selectors import flag_schedule_decisions
from telemetry.aggregation.sql import (
    DAY,
    HOUR,
    LATENCY_TYPES,
    MINUTE,
    SUMMARY_COLUMNS,
    Dialect,
)
from telemetry.cohorts import COHORTS
from telemetry.models import (
    AggregationState,
    CohortDaySummary,
    DroppedEventCount,
    Event,
    EventSummary,
    FlagEvaluationCount,
)
from telemetry.period import Period


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


@dataclass(frozen=True)
class Frontier:
    """Where stored summaries end: day rows before `days_until`, hour rows from there to
    `hours_until`, minute rows from there to `minutes_until`; events from `minutes_until` on
    (the still-open tail) are read raw.

    All are bucket starts at or before the fill state's cutoff, so every summary used is of a
    closed bucket; `minutes_until` is None before the first aggregation (all raw).
    """

    hours_until: datetime | None
    minutes_until: datetime | None
    days_until: datetime | None = None


def aggregation_frontier() -> Frontier:
    state = aggregated_until()
    minute, hour, day = state.get("minute"), state.get("hour"), state.get("day")
    if minute is None:
        return Frontier(None, None)
    minutes_until = MINUTE.floor(minute)
    hours_until = min(HOUR.floor(hour), minutes_until) if hour is not None else None
    days_until = None
    if day is not None and hours_until is not None:
        days_until = min(DAY.floor(day), hours_until)
    return Frontier(hours_until, minutes_until, days_until)


def summary_rows(period: Period, frontier: Frontier) -> QuerySet[EventSummary]:
    """Summary rows covering the period up to the frontier once each: days, hours, minutes."""
    if frontier.minutes_until is None:
        return EventSummary.objects.none()
    days_until = _clip(frontier.days_until or period.since, period)
    hours_until = _clip(frontier.hours_until or period.since, period)
    hours_until = max(hours_until, days_until)
    minutes_until = _clip(frontier.minutes_until, period)
    days = Q(bucket_size="day", bucket_start__gte=period.since, bucket_start__lt=days_until)
    hours = Q(bucket_size="hour", bucket_start__gte=days_until, bucket_start__lt=hours_until)
    minutes = Q(bucket_size="minute", bucket_start__gte=hours_until, bucket_start__lt=minutes_until)
    return EventSummary.objects.filter(days | hours | minutes)


def _clip(moment: datetime, period: Period) -> datetime:
    return max(period.since, min(period.until, moment))


def tail_since(period: Period, frontier: Frontier) -> datetime | None:
    """Where the raw tail of the period starts (None: the summaries cover it all)."""
    start = period.since if frontier.minutes_until is None else frontier.minutes_until
    start = max(start, period.since)
    return start if start < period.until else None


def _tail_rows(since: datetime, until: datetime) -> list[dict[str, Any]]:
    """The tail's figures from raw events, by the aggregation's own SELECT (the same rules
    for errors and client errors), grouped by hour: the tail is read on every page view and
    is minutes long when a scheduler aggregates, so it stays cheap."""
    dialect = Dialect(connection)
    sql = dialect.select_sql(HOUR, "occurred_at >= %s AND occurred_at < %s")
    params = ["hour", dialect.param(timezone.now()), dialect.param(since), dialect.param(until)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.strip() for column in SUMMARY_COLUMNS.split(",")]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        row["day"] = dialect.key_start(row["bucket_start"]).date()
    return rows


def day_figures(period: Period, frontier: Frontier | None = None) -> list[dict[str, Any]]:
    """Per day, event type, page and cohort: count, server errors and client errors.

    Closed buckets come from the summaries, the still-open tail from raw events, so what a
    visitor just did shows at once, with or without a scheduler running the aggregation.
    """
    frontier = frontier or aggregation_frontier()
    keys = ("day", "event_type", "page", "cohort")
    stored = (
        summary_rows(period, frontier)
        .values("event_type", "page", "cohort", day=TruncDate("bucket_start"))
        .annotate(count=Sum("count"), errors=Sum("errors"), client_errors=Sum("client_errors"))
    )
    figures: dict[tuple[Any, ...], dict[str, Any]] = {}
    since = tail_since(period, frontier)
    tail = _tail_rows(since, period.until) if since is not None else []
    for row in [*stored, *tail]:
        entry = figures.setdefault(
            tuple(row[k] for k in keys),
            {**{k: row[k] for k in keys}, "count": 0, "errors": 0, "client_errors": 0},
        )
        for name in ("count", "errors", "client_errors"):
            entry[name] += row[name]
    return list(figures.values())


def _series(period: Period) -> dict[str, dict[str, list[Any]]]:
    names = ("views", "users", "errors", "client_errors", "requests", "error_rate", "p95_ms")
    return {
        c: {n: [0 if n != "p95_ms" else None for _ in period.days] for n in names} for c in COHORTS
    }


def cohort_series(
    period: Period,
    figures: list[dict[str, Any]] | None = None,
    frontier: Frontier | None = None,
) -> dict[str, dict[str, list[Any]]]:
    """Per cohort and day: views, users, server errors, client errors, requests, the server
    error rate and p95 latency."""
    frontier = frontier or aggregation_frontier()
    index = {day: i for i, day in enumerate(period.days)}
    series = _series(period)
    _add_day_figures(series, index, day_figures(period, frontier) if figures is None else figures)
    rolled_until = _clip(frontier.days_until or period.since, period)
    for (cohort_name, day), (users, p95) in _cohort_days(period, rolled_until).items():
        series[cohort_name]["users"][index[day]] = users
        series[cohort_name]["p95_ms"][index[day]] = p95
    _fill_error_rate_and_unknown_users(series, period, rolled_until)
    return series


def _cohort_days(
    period: Period, rolled_until: datetime
) -> dict[tuple[str, date], tuple[int, float | None]]:
    """Users and p95 per cohort and day: stored for the days aggregated (before
    `rolled_until`), read from raw events for the rest (today, normally)."""
    figures: dict[tuple[str, date], tuple[int, float | None]] = {}
    stored = CohortDaySummary.objects.filter(
        bucket_start__gte=period.since, bucket_start__lt=rolled_until, cohort__in=COHORTS
    ).values_list("cohort", "bucket_start", "users", "p95_ms")
    for cohort, start, count, p95 in stored:
        figures[cohort, start.astimezone(UTC).date()] = (count, p95)
    if rolled_until < period.until:
        users = {(u["cohort"], u["day"]): u["users"] for u in _users(period, rolled_until)}
        p95s = _p95(period, rolled_until)
        for key in {*users, *p95s}:
            figures[key] = (users.get(key, 0), p95s.get(key))
    return figures


def _fill_error_rate_and_unknown_users(
    series: dict[str, dict[str, list[Any]]], period: Period, rolled_until: datetime
) -> None:
    kept_from = _raw_events_kept_from()
    for cohort in series.values():
        cohort["error_rate"] = [
            round(e / r, 4) if r else None
            for e, r in zip(cohort["errors"], cohort["requests"], strict=True)
        ]
        for i, day in enumerate(period.days):
            # Neither stored for the day nor countable from its pruned raw events: unknown.
            if day < kept_from and day >= rolled_until.date():
                cohort["users"][i] = None


def _add_day_figures(
    series: dict[str, dict[str, list[Any]]], index: dict[date, int], rows: list[dict[str, Any]]
) -> None:
    for row in rows:
        if row["cohort"] not in series:
            continue
        cohort, i = series[row["cohort"]], index[row["day"]]
        cohort["errors"][i] += row["errors"]
        cohort["client_errors"][i] += row["client_errors"]
        if row["event_type"] == "page_view":
            cohort["views"][i] += row["count"]
        if row["event_type"] in ("page_view", "api_call"):
            cohort["requests"][i] += row["count"]


def _raw_events_kept_from() -> date:
    """The first day whose raw events are all still stored (see events_prune)."""
    now = timezone.now().astimezone(UTC)
    return (now - timedelta(days=settings.TELEMETRY_RETENTION_DAYS)).date()


def _users(period: Period, since: datetime) -> Any:
    return (
        Event.objects.filter(
            event_type="page_view",
            cohort__in=COHORTS,
            occurred_at__gte=since,
            occurred_at__lt=period.until,
        )
        .exclude(user_id="")
        .values("cohort", day=TruncDate("occurred_at"))
        .annotate(users=Count("user_id", distinct=True))
    )


def _p95(period: Period, since: datetime) -> dict[tuple[str, date], float | None]:
    if connection.vendor == "postgresql":
        return _p95_postgres(period, since)
    timed = Event.objects.filter(
        event_type__in=LATENCY_TYPES,
        cohort__in=COHORTS,
        occurred_at__gte=since,
        occurred_at__lt=period.until,
        duration_ms__isnull=False,
    )
    durations: defaultdict[tuple[str, date], list[float]] = defaultdict(list)
    for cohort, moment, duration in timed.values_list("cohort", "occurred_at", "duration_ms"):
        if duration is not None:
            durations[cohort, moment.astimezone(UTC).date()].append(duration)
    return {key: percentile(values, 0.95) for key, values in durations.items()}


def _p95_postgres(period: Period, since: datetime) -> dict[tuple[str, date], float | None]:
    table = connection.ops.quote_name(Event._meta.db_table)
    sql = (
        "SELECT cohort, (occurred_at AT TIME ZONE 'UTC')::date, "
        "percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) "
        f"FROM {table} WHERE event_type = ANY(%s) AND cohort = ANY(%s) "
        "AND occurred_at >= %s AND occurred_at < %s AND duration_ms IS NOT NULL GROUP BY 1, 2"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(LATENCY_TYPES), list(COHORTS), since, period.until])
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


def api_endpoints(
    period: Period, figures: list[dict[str, Any]] | None = None, *, limit: int = 50
) -> list[dict[str, Any]]:
    """API calls per endpoint (route): calls, server errors and client errors."""
    endpoints: dict[str, dict[str, Any]] = {}
    for row in day_figures(period) if figures is None else figures:
        if row["event_type"] != "api_call":
            continue
        entry = endpoints.setdefault(
            row["page"], {"endpoint": row["page"], "calls": 0, "errors": 0, "client_errors": 0}
        )
        entry["calls"] += row["count"]
        entry["errors"] += row["errors"]
        entry["client_errors"] += row["client_errors"]
    return sorted(endpoints.values(), key=lambda e: (-e["calls"], e["endpoint"]))[:limit]


def dropped_events(period: Period) -> dict[str, int]:
    """Events full process buffers dropped in the period, by type (telemetry.buffer): few
    rows, one per minute and type while the database lagged."""
    rows = (
        DroppedEventCount.objects.filter(
            bucket_start__gte=period.since, bucket_start__lt=period.until
        )
        .values("event_type")
        .annotate(total=Sum("count"))
        .order_by("event_type")
    )
    return {row["event_type"]: int(row["total"]) for row in rows}


def dashboard_data(period: Period) -> dict[str, Any]:
    """Everything the dashboard shows, as plain JSON-ready data. `raw_since`: from when on
    the figures were read from raw events (the tail not aggregated yet)."""
    frontier = aggregation_frontier()  # read once: the state may move while the page is read
    figures = day_figures(period, frontier)
    since = tail_since(period, frontier)
    return {
        "period": {
            "since": period.first_day.isoformat(),
            "until": period.last_day.isoformat(),
            "days": len(period.days),
        },
        "days": [day.isoformat() for day in period.days],
        "cohorts": cohort_series(period, figures, frontier),
        "flags": flag_series(period),
        "api": api_endpoints(period, figures),
        "aggregated_until": {
            k: v.isoformat() if v else None for k, v in aggregated_until().items()
        },
        "raw_since": since.isoformat() if since is not None else None,
        "dropped_events": dropped_events(period),
        # Rollout plans' decisions (advance, roll back, kill), marked on the charts.
        "decisions": flag_schedule_decisions(since=period.since, until=period.until),
    }
