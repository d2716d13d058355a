"""The staff dashboard, its JSON twin, the aggregate-now button and /metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from llmhub.hub.permissions import permission_objects
from telemetry.aggregation.services import summaries_aggregate_closed
from telemetry.models import EventSummary, FlagEvaluationCount
from telemetry.permissions import AGGREGATE_PERMISSION, VIEW_DASHBOARD_PERMISSION
from telemetry.tests.factories import EventFactory

pytestmark = pytest.mark.django_db


def _staff_client(django_user_model, name: str, perms: list[str]) -> Client:
    user = django_user_model.objects.create_user(name, is_staff=True)
    user.user_permissions.add(*permission_objects(perms))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def staff(django_user_model) -> Client:
    """Staff who may read the dashboard and aggregate."""
    return _staff_client(
        django_user_model, "boss", [VIEW_DASHBOARD_PERMISSION, AGGREGATE_PERMISSION]
    )


def _seed_day(day_start: datetime) -> None:
    at = day_start + timedelta(hours=1)
    for user in ("ann", "bob", "ann"):
        EventFactory(
            event_type="page_view", cohort="new_hub", user_id=user, occurred_at=at, received_at=at
        )
    EventFactory(
        event_type="page_view", cohort="old_pages", user_id="cy", occurred_at=at, received_at=at
    )
    EventFactory(
        event_type="error", cohort="new_hub", user_id="ann", occurred_at=at, received_at=at
    )
    for ms in (100.0, 200.0, 300.0):
        EventFactory(
            event_type="performance",
            cohort="new_hub",
            duration_ms=ms,
            occurred_at=at,
            received_at=at,
        )
    EventFactory(
        event_type="api_call",
        page="/api/v1/features/",
        cohort="",
        status=503,
        occurred_at=at,
        received_at=at,
    )
    FlagEvaluationCount.objects.create(
        bucket_start=at, flag="hub", reason="ROLLOUT", enabled=True, count=7
    )
    FlagEvaluationCount.objects.create(
        bucket_start=at, flag="hub", reason="DEFAULT", enabled=False, count=3
    )


def test_dashboard_json__day_figures__per_cohort_flags_and_endpoints(staff: Client) -> None:
    today = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    yesterday = today - timedelta(days=1)
    _seed_day(yesterday)
    summaries_aggregate_closed()
    data = staff.get("/telemetry/data.json?days=2").json()
    assert data["days"] == [yesterday.date().isoformat(), today.date().isoformat()]
    new_hub, old_pages = data["cohorts"]["new_hub"], data["cohorts"]["old_pages"]
    assert new_hub["views"] == [3, 0] and new_hub["users"] == [2, 0]
    assert old_pages["views"] == [1, 0] and old_pages["users"] == [1, 0]
    assert new_hub["errors"][0] == 1 and new_hub["error_rate"][0] == pytest.approx(1 / 3, abs=1e-4)
    assert new_hub["p95_ms"][0] == pytest.approx(290.0)
    assert data["flags"] == [
        {"flag": "hub", "on": 7, "off": 3, "on_by_day": [7, 0], "off_by_day": [3, 0]}
    ]
    assert data["api"] == [
        {"endpoint": "/api/v1/features/", "calls": 1, "errors": 1, "client_errors": 0}
    ]


def test_dashboard__staff__sees_charts_and_tables(staff: Client) -> None:
    response = staff.get("/telemetry/?days=7")
    assert response.status_code == 200
    html = response.content.decode()
    assert "vendor/chartjs/chart.umd.min.js" in html and 'id="telemetry-data"' in html
    assert "<table" in html and "cdn" not in html.lower()


@pytest.mark.parametrize(
    "query",
    [
        "days=0",
        "days=91",
        "days=abc",
        "since=2026-13-01",
        "since=2026-05-02&until=2026-05-01",
        "since=2026-01-01&until=2026-06-01",
    ],
)
def test_dashboard__bad_period__is_400_naming_the_problem(staff: Client, query: str) -> None:
    assert staff.get(f"/telemetry/?{query}").status_code == 400
    response = staff.get(f"/telemetry/data.json?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]


def test_dashboard__not_staff__is_sent_to_login_or_refused(django_user_model) -> None:
    client = Client()
    client.force_login(django_user_model.objects.create_user("plain"))
    page = client.get("/telemetry/")
    assert page.status_code == 302 and "/login/" in page["Location"]
    assert client.get("/telemetry/data.json").status_code == 403
    assert Client().get("/telemetry/data.json").status_code in (401, 403)


def test_dashboard__staff_without_permission__is_refused_everywhere(django_user_model) -> None:
    client = _staff_client(django_user_model, "nobody", [])
    assert client.get("/telemetry/").status_code == 403
    assert client.get("/telemetry/data.json").status_code == 403
    at = timezone.now() - timedelta(hours=2)
    EventFactory(occurred_at=at, received_at=at)
    assert client.post("/telemetry/aggregate").status_code == 403
    assert not EventSummary.objects.exists()
    index = client.get("/admin/").content.decode()
    assert "telemetry-dashboard-link" not in index


def test_dashboard__view_permission_only__reads_but_cannot_aggregate(django_user_model) -> None:
    client = _staff_client(django_user_model, "reader", [VIEW_DASHBOARD_PERMISSION])
    page = client.get("/telemetry/")
    assert page.status_code == 200 and "Aggregate now" not in page.content.decode()
    assert client.get("/telemetry/data.json").status_code == 200
    assert 'id="telemetry-dashboard-link"' in client.get("/admin/").content.decode()
    at = timezone.now() - timedelta(hours=2)
    EventFactory(occurred_at=at, received_at=at)
    assert client.post("/telemetry/aggregate").status_code == 403
    assert not EventSummary.objects.exists()


def test_dashboard__with_aggregate_permission__shows_the_button(staff: Client) -> None:
    html = staff.get("/telemetry/").content.decode()
    assert 'action="/telemetry/aggregate"' in html and "Aggregate now" in html


def test_aggregate_now__staff_post__runs_the_aggregation_after_commit(
    staff: Client, django_capture_on_commit_callbacks
) -> None:
    at = timezone.now() - timedelta(hours=2)
    EventFactory(occurred_at=at, received_at=at)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = staff.post("/telemetry/aggregate")
    assert response.status_code == 302 and len(callbacks) == 1
    assert EventSummary.objects.filter(bucket_size="hour").get().count == 1


def test_metrics__staff__reads_prometheus_text(staff: Client) -> None:
    staff.get("/telemetry/?days=1")
    response = staff.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200
    text = response.content.decode()
    assert "llmhub_http_requests_total" in text
    assert "llmhub_http_request_duration_seconds_bucket" in text


def test_metrics__allowed_address__reads_without_login(settings) -> None:
    settings.METRICS_ALLOWED_IPS = ["198.51.100.7"]
    assert Client().get("/metrics", REMOTE_ADDR="198.51.100.7").status_code == 200


def test_metrics__anyone_else__is_refused(settings, django_user_model) -> None:
    settings.METRICS_ALLOWED_IPS = ["198.51.100.7"]
    assert Client().get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    client = Client()
    client.force_login(django_user_model.objects.create_user("plain"))
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403


def test_dashboard_json__hours_then_minutes__each_event_counted_once(staff: Client) -> None:
    # given page views in closed hours and in closed minutes of a still-open hour (12:xx today)
    noon = timezone.now().astimezone(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    for at in (
        noon - timedelta(minutes=30),
        noon - timedelta(minutes=90),
        noon + timedelta(minutes=1),
    ):
        EventFactory(event_type="page_view", cohort="old_pages", occurred_at=at, received_at=at)
    summaries_aggregate_closed(now=noon + timedelta(minutes=30))
    assert EventSummary.objects.filter(bucket_size="hour").count() == 2  # 10:00 and 11:00
    # when the dashboard reads today
    data = staff.get("/telemetry/data.json?days=1").json()
    # then all three views count, once: two from hour rows, one from minute rows
    assert data["cohorts"]["old_pages"]["views"] == [3]


def test_dashboard_json__days_past_retention__users_unknown_not_zero(
    staff: Client, settings
) -> None:
    settings.TELEMETRY_RETENTION_DAYS = 2
    data = staff.get("/telemetry/data.json?days=5").json()
    assert data["cohorts"]["new_hub"]["users"] == [None, None, 0, 0, 0]
    assert data["cohorts"]["new_hub"]["views"] == [0, 0, 0, 0, 0]
    page = staff.get("/telemetry/?days=5")
    assert page.status_code == 200 and b"None" not in page.content
