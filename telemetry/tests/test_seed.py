"""seed_test_data's telemetry: fourteen deterministic days the dashboard can show at once."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from django.db.models import F

from llmhub.seeding import SeedRun
from telemetry.models import Event, EventSummary, FlagEvaluationCount
from telemetry.period import Period
from telemetry.seed import seed_telemetry
from telemetry.selectors import api_endpoints, cohort_series, dashboard_data, flag_series

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
LAST_WEEK = Period(date(2026, 11, 14), date(2026, 11, 20))


def seed(
    *, events: int = 1_400, users: int = 10, now: datetime = NOW
) -> dict[str, tuple[int, int]]:
    run = SeedRun(out=io.StringIO(), users=users, events=events, now=now, show_progress=False)
    return {t.kind: (t.created, t.existing) for t in seed_telemetry(run)}


def test_seed_telemetry__covers_fourteen_days_until_the_current_hour() -> None:
    seed()
    days = {moment.date() for moment in Event.objects.values_list("occurred_at", flat=True)}
    assert min(days) == date(2026, 11, 7) and max(days) == date(2026, 11, 20)
    assert len(days) == 14
    assert Event.objects.filter(occurred_at__gte=NOW.replace(minute=0)).count() == 0
    assert not Event.objects.filter(received_at__lt=F("occurred_at")).exists()


def test_seed_telemetry__has_every_kind_the_dashboard_reads() -> None:
    seed()
    types = set(Event.objects.values_list("event_type", flat=True))
    assert {"page_view", "api_call", "feature_usage", "performance", "error"} <= types
    assert set(Event.objects.values_list("cohort", flat=True)) >= {"new_hub", "old_pages"}
    assert Event.objects.filter(event_type="api_call", status__gte=500).exists()
    assert not Event.objects.filter(event_type="api_call", duration_ms__isnull=True).exists()
    assert set(FlagEvaluationCount.objects.values_list("flag", flat=True)) == {
        "unified_llm_hub",
        "advanced_analytics",
        "model_recommendations",
    }


def test_seed_telemetry__twice__stores_nothing_new() -> None:
    first = seed()
    events, counts, summaries = (
        Event.objects.count(),
        FlagEvaluationCount.objects.count(),
        EventSummary.objects.count(),
    )
    second = seed()
    assert first["telemetry events"] == (events, 0)
    assert second["telemetry events"] == (0, events)
    assert second["flag evaluation counts"] == (0, counts)
    assert second["event summaries"] == (0, summaries)
    assert (Event.objects.count(), EventSummary.objects.count()) == (events, summaries)


def test_seed_telemetry__same_run__same_events() -> None:
    seed()
    first = set(Event.objects.values_list("event_id", "user_id", "event_type", "occurred_at"))
    Event.objects.all().delete()
    seed()
    assert set(Event.objects.values_list("event_id", "user_id", "event_type", "occurred_at")) == (
        first
    )


def test_seed_telemetry__more_events__keeps_the_first_ones_and_adds() -> None:
    seed(events=1_400)
    small = set(Event.objects.values_list("event_id", "occurred_at"))
    result = seed(events=2_800)
    large = set(Event.objects.values_list("event_id", "occurred_at"))
    assert small < large
    assert result["telemetry events"] == (len(large) - len(small), len(small))
    assert len(large) > 1.9 * len(small)


def test_seed_telemetry__dashboard_selectors__show_the_rollout() -> None:
    seed()
    cohorts = cohort_series(LAST_WEEK)
    for name in ("new_hub", "old_pages"):
        assert sum(cohorts[name]["views"]) > 0
        assert sum(cohorts[name]["users"]) > 0
        assert sum(cohorts[name]["errors"]) > 0
        assert any(rate for rate in cohorts[name]["error_rate"] if rate)
        assert all(p95 is not None and p95 > 0 for p95 in cohorts[name]["p95_ms"][:-1])
    # Adoption rises: the new hub's share of views on the last full day beats the first's.
    new, old = cohorts["new_hub"]["views"], cohorts["old_pages"]["views"]
    assert new[-2] / (new[-2] + old[-2]) > new[0] / (new[0] + old[0])
    flags = {f["flag"]: f for f in flag_series(LAST_WEEK)}
    assert flags["unified_llm_hub"]["on"] > 0 and flags["unified_llm_hub"]["off"] > 0
    assert flags["model_recommendations"]["on"] == 0 < flags["model_recommendations"]["off"]
    endpoints = api_endpoints(LAST_WEEK)
    assert len(endpoints) >= 5 and sum(e["errors"] for e in endpoints) > 0
    assert dashboard_data(LAST_WEEK)["api"] == endpoints
