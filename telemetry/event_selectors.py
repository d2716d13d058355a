"""Reads of raw events for pages outside telemetry (the hub's Usage tab): short periods, so
grouped queries over raw events stay small and answer distinct users exactly.

Other apps read telemetry's events through these functions (and telemetry.selectors), never
through the Event model: the table's shape and indexes stay telemetry's business.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate

from telemetry.cohorts import COHORTS
from telemetry.models import Event, EventType

# What the lists of recent events hold: stored events, for reading (rows are never edited).
StoredEvent = Event


@dataclass(frozen=True)
class PageViews:
    views: int
    users: int  # distinct user ids ("" counts as one: anonymous views)


def _page_views(since: datetime) -> QuerySet[Event]:
    return Event.objects.filter(
        event_type=EventType.PAGE_VIEW, cohort__in=COHORTS, occurred_at__gte=since
    )


def cohort_page_views(*, since: datetime) -> dict[str, PageViews]:
    """Page views and their distinct users per cohort since `since`, every cohort present."""
    grouped = (
        _page_views(since)
        .values("cohort")
        .annotate(views=Count("id"), users=Count("user_id", distinct=True))
    )
    found = {row["cohort"]: PageViews(row["views"], row["users"]) for row in grouped}
    return {cohort: found.get(cohort, PageViews(0, 0)) for cohort in COHORTS}


def page_view_users(*, since: datetime) -> int:
    """Distinct users with a page view in any cohort: one served both UIs counts once."""
    return _page_views(since).values("user_id").distinct().count()


def daily_cohort_page_views(*, since: datetime) -> dict[date, dict[str, int]]:
    """Page views per day (UTC) and cohort, the days in order; a cohort without views that
    day is absent."""
    counts: dict[date, dict[str, int]] = {}
    grouped = (
        _page_views(since)
        .annotate(day=TruncDate("occurred_at"))
        .values("day", "cohort")
        .annotate(views=Count("id"))
        .order_by("day")
    )
    for row in grouped:
        counts.setdefault(row["day"], {})[row["cohort"]] = row["views"]
    return dict(sorted(counts.items()))


def median_performance_ms(*, cohort: str, since: datetime, sample: int) -> float | None:
    """The median duration of the cohort's latest `sample` timed performance events (page
    loads), to one decimal; None without any."""
    recent = (
        Event.objects.filter(
            event_type=EventType.PERFORMANCE,
            cohort=cohort,
            occurred_at__gte=since,
            duration_ms__isnull=False,
        )
        .order_by("-occurred_at")
        .values_list("duration_ms", flat=True)[:sample]
    )
    durations = [duration for duration in recent if duration is not None]
    return round(statistics.median(durations), 1) if durations else None


def _feature_events(feature: str, since: datetime) -> QuerySet[Event]:
    return Event.objects.filter(feature=feature, occurred_at__gte=since)


def feature_action_counts(*, feature: str, since: datetime) -> dict[str, int]:
    """Events of a feature per action ("allowed", "denied", ...)."""
    grouped = _feature_events(feature, since).values_list("action").annotate(n=Count("id"))
    return dict(grouped.values_list("action", "n"))


def feature_action_counts_by_property(
    *, feature: str, key: str, since: datetime
) -> dict[str, dict[str, int]]:
    """Events of a feature per value of one property (as text, "?" when missing) and action."""
    counts: dict[str, dict[str, int]] = {}
    grouped = (
        _feature_events(feature, since)
        .values(f"properties__{key}", "action")
        .annotate(n=Count("id"))
    )
    for row in grouped:
        value = str(row[f"properties__{key}"] or "?")
        counts.setdefault(value, {})[row["action"]] = row["n"]
    return dict(sorted(counts.items()))


def recent_feature_events(
    *, feature: str, since: datetime, user_actions_only: bool = False, limit: int = 15
) -> list[StoredEvent]:
    """The latest events of a feature (only its `user_action` events, if asked), newest
    first."""
    events = _feature_events(feature, since)
    if user_actions_only:
        events = events.filter(event_type=EventType.USER_ACTION)
    return list(events.order_by("-occurred_at")[:limit])
