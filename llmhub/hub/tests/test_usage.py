"""The Usage tab's figures, read through telemetry's selectors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from llmhub.hub.usage import CohortUsage, DailyViews, TierChecks, usage_summary
from telemetry.cohorts import NEW_HUB, OLD_PAGES
from telemetry.tests.factories import EventFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_usage_summary__adoption_load_times_and_access_checks() -> None:
    # given views of both UIs (ann saw both), page loads and access checks this week
    views = [("ann", NEW_HUB, 0), ("ann", OLD_PAGES, 1), ("bob", OLD_PAGES, 1)]
    for user, cohort, days_ago in views:
        EventFactory.create(user_id=user, cohort=cohort, occurred_at=NOW - timedelta(days=days_ago))
    for duration in (100.0, 300.0):
        EventFactory.create(
            event_type="performance", cohort=NEW_HUB, duration_ms=duration, occurred_at=NOW
        )
    for action in ("allowed", "denied", "denied"):
        EventFactory.create(
            event_type="feature_usage",
            feature="hub_access_check",
            action=action,
            properties={"tier": "free"},
            occurred_at=NOW,
        )
    # when the tab's summary is read
    usage = usage_summary(days=7, now=NOW)
    # then
    assert usage.cohorts == [
        CohortUsage(NEW_HUB, views=1, users=1, median_load_ms=200.0),
        CohortUsage(OLD_PAGES, views=2, users=2, median_load_ms=None),
    ]
    assert [row.is_new_hub for row in usage.cohorts] == [True, False]
    assert usage.new_hub_user_share == 50.0  # one of two users has seen the new hub
    assert usage.daily == [
        DailyViews(date(2026, 3, 9), new_hub=0, old_pages=2),
        DailyViews(date(2026, 3, 10), new_hub=1, old_pages=0),
    ]
    assert (usage.checks_allowed, usage.checks_denied) == (1, 2)
    assert usage.checks_by_tier == [TierChecks("free", allowed=1, denied=2)]
    assert len(usage.recent_checks) == 3 and usage.recent_actions == []


def test_usage_summary__nothing_recorded__no_share() -> None:
    usage = usage_summary(days=7, now=NOW)
    assert usage.new_hub_user_share is None
    assert [(row.cohort, row.views) for row in usage.cohorts] == [(NEW_HUB, 0), (OLD_PAGES, 0)]
