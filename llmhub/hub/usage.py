"""The Usage tab: hub adoption, page load times and the access checks.

Read through telemetry's selectors (telemetry.event_selectors), never from its tables: the
figures are telemetry's, the shape of the tab is the hub's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from telemetry.cohorts import COHORTS, NEW_HUB, OLD_PAGES
from telemetry.event_selectors import (
    StoredEvent,
    cohort_page_views,
    daily_cohort_page_views,
    feature_action_counts,
    feature_action_counts_by_property,
    median_performance_ms,
    page_view_users,
    recent_feature_events,
)

ACCESS_CHECK_FEATURE = "hub_access_check"
HUB_FEATURE = "llm_hub"
LOAD_TIME_SAMPLE = 2000


@dataclass(frozen=True)
class CohortUsage:
    cohort: str
    views: int
    users: int
    median_load_ms: float | None

    @property
    def is_new_hub(self) -> bool:
        return self.cohort == NEW_HUB


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
    recent_checks: list[StoredEvent]
    recent_actions: list[StoredEvent]


def _since(days: int, now: datetime | None) -> datetime:
    return (now or timezone.now()) - timedelta(days=days)


def cohort_usage(*, since: datetime) -> list[CohortUsage]:
    views = cohort_page_views(since=since)
    return [
        CohortUsage(
            cohort=cohort,
            views=views[cohort].views,
            users=views[cohort].users,
            median_load_ms=median_performance_ms(
                cohort=cohort, since=since, sample=LOAD_TIME_SAMPLE
            ),
        )
        for cohort in COHORTS
    ]


def daily_views(*, since: datetime) -> list[DailyViews]:
    return [
        DailyViews(day, views.get(NEW_HUB, 0), views.get(OLD_PAGES, 0))
        for day, views in daily_cohort_page_views(since=since).items()
    ]


def checks_by_tier(*, since: datetime) -> list[TierChecks]:
    counts = feature_action_counts_by_property(
        feature=ACCESS_CHECK_FEATURE, key="tier", since=since
    )
    return [
        TierChecks(tier, by.get("allowed", 0), by.get("denied", 0)) for tier, by in counts.items()
    ]


def usage_summary(*, days: int = 7, now: datetime | None = None) -> UsageSummary:
    since = _since(days, now)
    cohorts = cohort_usage(since=since)
    users = page_view_users(since=since)
    decisions = feature_action_counts(feature=ACCESS_CHECK_FEATURE, since=since)
    return UsageSummary(
        days=days,
        cohorts=cohorts,
        new_hub_user_share=round(100 * cohorts[0].users / users, 1) if users else None,
        daily=daily_views(since=since),
        checks_allowed=decisions.get("allowed", 0),
        checks_denied=decisions.get("denied", 0),
        checks_by_tier=checks_by_tier(since=since),
        recent_checks=recent_feature_events(feature=ACCESS_CHECK_FEATURE, since=since),
        recent_actions=recent_feature_events(
            feature=HUB_FEATURE, since=since, user_actions_only=True
        ),
    )
