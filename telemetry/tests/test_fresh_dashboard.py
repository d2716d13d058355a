"""The dashboard as `make run` serves it (SQLite, eager Celery, no beat): what a visitor just
did shows at once, one press of "Aggregate now" stores everything pending, and figures are
the same before and after it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from flags.testutils import override_flag
from llmhub.hub.seed.loaders import seed_catalog, seed_tiers
from telemetry import buffer
from telemetry.aggregation.services import summaries_aggregate_closed, summaries_rebuild
from telemetry.models import AggregationState, EventSummary
from telemetry.tests.factories import EventFactory

HUB = "/admin/llm-management/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    """A superuser whose browser enforces CSRF, as a real one does."""
    seed_catalog()
    seed_tiers()
    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.create_superuser("root", password="pw-root-1"))
    return client


def _today(client: Client, cohort: str = "new_hub") -> dict[str, Any]:
    data = client.get("/telemetry/data.json?days=2").json()
    return {name: values[-1] for name, values in data["cohorts"][cohort].items()}


def _press_aggregate_now(client: Client) -> None:
    """Submit the dashboard's "Aggregate now" form as rendered."""
    page = client.get("/telemetry/?days=2").content.decode()
    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', page, re.S)
    assert form is not None and "Aggregate now" in form.group(2)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(2))
    assert token is not None
    response = client.post(form.group(1), {"csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 302


def _summaries() -> dict[tuple[Any, ...], tuple[Any, ...]]:
    return {
        (s.bucket_size, s.bucket_start, s.event_type, s.page, s.tab, s.flag, s.cohort): (
            s.count,
            s.users,
            s.errors,
            s.client_errors,
            s.p50_ms,
            s.p95_ms,
            s.max_ms,
        )
        for s in EventSummary.objects.all()
    }


@pytest.mark.parametrize("aggregated", ["never", "a minute ago"])
@override_flag("unified_llm_hub", active=True)
def test_dashboard__a_visit_just_made__shows_at_once_without_aggregation(
    admin_client: Client, aggregated: str
) -> None:
    # given a dashboard, aggregated already or never (as after a fresh start)
    if aggregated != "never":
        summaries_aggregate_closed(now=timezone.now() - timedelta(minutes=1))
    before = _today(admin_client)
    # when a visitor opens two hub tabs, hits a missing tab, and a call fails
    assert admin_client.get(f"{HUB}keys/").status_code == 200
    assert admin_client.get(f"{HUB}models/").status_code == 200
    assert admin_client.get(f"{HUB}no-such-tab/").status_code == 404
    buffer.flush()  # the background writer's job, every second under `make run`
    # then the dashboard shows them, with no aggregation in between
    after = _today(admin_client)
    assert after["views"] == before["views"] + 2
    assert after["users"] == 1
    assert after["errors"] == before["errors"] == 0  # a 404 is no server error
    page = admin_client.get("/telemetry/?days=2").content.decode()
    assert "counted from raw events as they arrive" in page


@pytest.mark.django_db(transaction=True)  # the press runs the task on commit, as it does live
def test_aggregate_now__one_press__stores_every_bucket_pending_for_days(
    admin_client: Client,
) -> None:
    # given an aggregation last run three days ago, and events ever since (as under
    # `make run`, which has no beat), some reported late for buckets long closed
    now = timezone.now()
    last_run = now - timedelta(days=3)
    summaries_aggregate_closed(now=last_run)
    for minutes in range(0, 3 * 24 * 60, 37):
        at = last_run + timedelta(minutes=minutes, seconds=5)
        kind = "error" if minutes % 5 == 0 else "page_view"
        EventFactory(event_type=kind, cohort="new_hub", occurred_at=at, received_at=at)
    late = last_run - timedelta(hours=2)  # its bucket was aggregated already, without it
    received = now - timedelta(minutes=1)  # before the press's cutoff (15 s ago)
    EventFactory(event_type="page_view", cohort="old_pages", occurred_at=late, received_at=received)
    shown_before = admin_client.get("/telemetry/data.json?days=5").json()["cohorts"]
    # when "Aggregate now" is pressed once
    _press_aggregate_now(admin_client)
    # then every closed bucket is stored exactly as a full rebuild computes it
    state = AggregationState.objects.get(bucket_size="minute").received_until
    assert state is not None and state >= now - timedelta(seconds=20)
    pressed_once = _summaries()
    summaries_rebuild(since=last_run - timedelta(hours=1), until=now)
    rebuilt = _summaries()
    closed = {k: v for k, v in rebuilt.items() if _closed(k[0], k[1], state)}
    assert {k: v for k, v in pressed_once.items() if k in closed} == closed
    # and the late event counts now; everything else was shown before the press already
    shown_after = admin_client.get("/telemetry/data.json?days=5").json()["cohorts"]
    day = 5 - 1 - (now.astimezone(UTC).date() - late.astimezone(UTC).date()).days
    assert shown_after["old_pages"]["views"][day] == shown_before["old_pages"]["views"][day] + 1
    assert shown_after["new_hub"] == shown_before["new_hub"]


def _closed(size: str, start: datetime, cutoff: datetime) -> bool:
    return start + timedelta(seconds=60 if size == "minute" else 3600) <= cutoff


@pytest.mark.django_db(transaction=True)
def test_aggregate_now__pressed_twice__changes_nothing(admin_client: Client) -> None:
    now = timezone.now()
    for hours in range(1, 30):
        at = now - timedelta(hours=hours)
        EventFactory(event_type="page_view", cohort="new_hub", occurred_at=at, received_at=at)
    _press_aggregate_now(admin_client)
    once = _summaries()
    _press_aggregate_now(admin_client)
    assert _summaries() == once
    assert len(once) >= 2 * 29  # a minute and an hour row per event
