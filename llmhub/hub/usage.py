"""Reads of telemetry for the Usage tab: hub adoption, page load times and the access checks.

Raw events (kept TELEMETRY_RETENTION_DAYS) answer distinct users exactly; the period shown is
short (days), so these grouped queries stay small.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from llmhub.hub.gate import NEW_HUB, OLD_PAGES
from telemetry.models import Event, EventType

ACCESS_CHECK_FEATURE = "hub_access_check"
HUB_FEATURE = "llm_hub"
COHORTS = (NEW_HUB, OLD_PAGES)
LOAD_TIME_SAMPLE = 2000


@dataclass(frozen=True)
class CohortUsage:
    cohort: str
    views: int
    users: int
    median_load_ms: float | None


@dataclass(frozen=True)
class DailyViews:
    day: date
    new_hub: int
    old_pages: int


@dataclass(frozen=True)
class TierChecks:
    tier: str
    allowed: int
    denied: int


@dataclass(frozen=True)
class UsageSummary:
    days: int
    cohorts: list[CohortUsage]
    new_hub_user_share: float | None
    daily: list[DailyViews]
    checks_allowed: int
    checks_denied: int
    checks_by_tier: list[TierChecks]
    recent_checks: list[Event]
    recent_actions: list[Event]


def _since(days: int, now: datetime | None) -> datetime:
    return (now or timezone.now()) - timedelta(days=days)


def _median_load_ms(cohort: str, since: datetime) -> float | None:
    recent = (
        Event.objects.filter(
            event_type=EventType.PERFORMANCE,
            cohort=cohort,
            occurred_at__gte=since,
            duration_ms__isnull=False,
        )
        .order_by("-occurred_at")
        .values_list("duration_ms", flat=True)[:LOAD_TIME_SAMPLE]
    )
    durations = [duration for duration in recent if duration is not None]
    return round(statistics.median(durations), 1) if durations else None


def _page_views(since: datetime) -> QuerySet[Event]:
    return Event.objects.filter(
        event_type=EventType.PAGE_VIEW, cohort__in=COHORTS, occurred_at__gte=since
    )


def cohort_usage(*, since: datetime) -> list[CohortUsage]:
    grouped = (
        _page_views(since)
        .values("cohort")
        .annotate(views=Count("id"), users=Count("user_id", distinct=True))
    )
    rows: dict[str, tuple[int, int]] = {
        row["cohort"]: (row["views"], row["users"]) for row in grouped
    }
    return [
        CohortUsage(
            cohort=cohort,
            views=rows.get(cohort, (0, 0))[0],
            users=rows.get(cohort, (0, 0))[1],
            median_load_ms=_median_load_ms(cohort, since),
        )
        for cohort in COHORTS
    ]


def daily_views(*, since: datetime) -> list[DailyViews]:
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
    return [
        DailyViews(day, views.get(NEW_HUB, 0), views.get(OLD_PAGES, 0))
        for day, views in sorted(counts.items())
    ]


def _access_checks(since: datetime) -> QuerySet[Event]:
    return Event.objects.filter(feature=ACCESS_CHECK_FEATURE, occurred_at__gte=since)


def checks_by_tier(*, since: datetime) -> list[TierChecks]:
    counts: dict[str, dict[str, int]] = {}
    grouped = _access_checks(since).values("properties__tier", "action").annotate(n=Count("id"))
    for row in grouped:
        tier = str(row["properties__tier"] or "?")
        counts.setdefault(tier, {})[row["action"]] = row["n"]
    return [
        TierChecks(tier, by.get("allowed", 0), by.get("denied", 0))
        for tier, by in sorted(counts.items())
    ]


def usage_summary(*, days: int = 7, now: datetime | None = None) -> UsageSummary:
    since = _since(days, now)
    cohorts = cohort_usage(since=since)
    # A user served both UIs counts once.
    users = _page_views(since).values("user_id").distinct().count()
    decisions = dict(
        _access_checks(since)
        .values_list("action")
        .annotate(n=Count("id"))
        .values_list("action", "n")
    )
    return UsageSummary(
        days=days,
        cohorts=cohorts,
        new_hub_user_share=round(100 * cohorts[0].users / users, 1) if users else None,
        daily=daily_views(since=since),
        checks_allowed=decisions.get("allowed", 0),
        checks_denied=decisions.get("denied", 0),
        checks_by_tier=checks_by_tier(since=since),
        recent_checks=list(_access_checks(since).order_by("-occurred_at")[:15]),
        recent_actions=list(
            Event.objects.filter(
                event_type=EventType.USER_ACTION, feature=HUB_FEATURE, occurred_at__gte=since
            ).order_by("-occurred_at")[:15]
        ),
    )
