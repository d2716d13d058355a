"""Reads of raw events for other apps' pages (the hub's Usage tab reads these and no table)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from telemetry.cohorts import COHORTS, NEW_HUB, OLD_PAGES
from telemetry.event_selectors import (
    PageViews,
    cohort_page_views,
    daily_cohort_page_views,
    feature_action_counts,
    feature_action_counts_by_property,
    median_performance_ms,
    page_view_users,
    recent_feature_events,
)
from telemetry.tests.factories import EventFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=7)


def _views() -> None:
    for user, cohort, days_ago in [
        ("ann", NEW_HUB, 0),
        ("ann", NEW_HUB, 1),
        ("bob", NEW_HUB, 1),
        ("ann", OLD_PAGES, 1),
        ("cid", OLD_PAGES, 9),  # before the period
    ]:
        EventFactory.create(user_id=user, cohort=cohort, occurred_at=NOW - timedelta(days=days_ago))
    EventFactory.create(user_id="dan", cohort="", occurred_at=NOW)  # no cohort: not counted


def test_cohort_page_views__views_and_distinct_users_per_cohort_in_the_period() -> None:
    _views()
    assert cohort_page_views(since=SINCE) == {
        NEW_HUB: PageViews(views=3, users=2),
        OLD_PAGES: PageViews(views=1, users=1),
    }


def test_cohort_page_views__nothing_stored__every_cohort_at_zero() -> None:
    assert cohort_page_views(since=SINCE) == {cohort: PageViews(0, 0) for cohort in COHORTS}


def test_page_view_users__a_user_served_both_uis__counts_once() -> None:
    _views()
    assert page_view_users(since=SINCE) == 2


def test_daily_cohort_page_views__per_day_in_order() -> None:
    _views()
    assert daily_cohort_page_views(since=SINCE) == {
        date(2026, 3, 9): {NEW_HUB: 2, OLD_PAGES: 1},
        date(2026, 3, 10): {NEW_HUB: 1},
    }


def test_median_performance_ms__latest_sample_of_the_cohort() -> None:
    for minutes, duration in [(1, 100.0), (2, 300.0), (3, 200.0), (4, 5000.0)]:
        EventFactory.create(
            event_type="performance",
            cohort=NEW_HUB,
            duration_ms=duration,
            occurred_at=NOW - timedelta(minutes=minutes),
        )
    EventFactory.create(event_type="performance", cohort=OLD_PAGES, duration_ms=9.0)
    assert median_performance_ms(cohort=NEW_HUB, since=SINCE, sample=3) == 200.0
    assert median_performance_ms(cohort=NEW_HUB, since=NOW, sample=3) is None


def _checks() -> None:
    for tier, action, minutes in [
        ("free", "denied", 1),
        ("free", "allowed", 2),
        ("free", "denied", 3),
        (None, "allowed", 4),
    ]:
        properties = {"tier": tier} if tier else {}
        EventFactory.create(
            event_type="feature_usage",
            feature="hub_access_check",
            action=action,
            properties=properties,
            occurred_at=NOW - timedelta(minutes=minutes),
        )
    EventFactory.create(
        event_type="user_action", feature="llm_hub", action="key_added", occurred_at=NOW
    )


def test_feature_action_counts__per_action() -> None:
    _checks()
    counts = feature_action_counts(feature="hub_access_check", since=SINCE)
    assert counts == {"allowed": 2, "denied": 2}


def test_feature_action_counts_by_property__missing_value_is_a_question_mark() -> None:
    _checks()
    counts = feature_action_counts_by_property(feature="hub_access_check", key="tier", since=SINCE)
    assert counts == {"?": {"allowed": 1}, "free": {"allowed": 1, "denied": 2}}


def test_recent_feature_events__newest_first__user_actions_only_when_asked() -> None:
    _checks()
    recent = recent_feature_events(feature="hub_access_check", since=SINCE, limit=2)
    assert [(e.action, e.occurred_at) for e in recent] == [
        ("denied", NOW - timedelta(minutes=1)),
        ("allowed", NOW - timedelta(minutes=2)),
    ]
    actions = recent_feature_events(feature="llm_hub", since=SINCE, user_actions_only=True)
    assert [e.action for e in actions] == ["key_added"]
    checks = recent_feature_events(feature="hub_access_check", since=SINCE, user_actions_only=True)
    assert checks == []
