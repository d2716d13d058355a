"""Client errors (4xx) through the whole stack: never an `error` event, never an ERROR line.

Real requests through every middleware and the project's own URLs (the hub pages, Django
admin), as a browser makes them; what is checked is what the rollout is judged by: the stored
events and the log lines.
"""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from flags.testutils import override_flag
from llmhub.hub.seed.loaders import seed_catalog, seed_tiers
from telemetry import buffer
from telemetry.models import Event

HUB = "/admin/llm-management/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser() -> Client:
    """Whoever may see every hub page (the hub's permissions do not decide these tests)."""
    seed_catalog()
    seed_tiers()
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", password="pw-root-1"))
    return client


def _server_trouble(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Log lines that would page someone: ERROR and above, or a traceback of ours. (Django
    itself logs "Forbidden (Permission denied)" at WARNING with its traceback.)"""
    return [
        f"{record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.levelno >= logging.ERROR
        or (record.exc_info and record.name.startswith("telemetry"))
    ]


@override_flag("unified_llm_hub", active=True)
def test_hub_unknown_tab__404__is_a_client_error_not_a_server_error(
    superuser: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = superuser.get(f"{HUB}no-such-tab/")
    assert response.status_code == 404
    buffer.flush()  # client errors go to the process buffer, like api_call
    assert not Event.objects.filter(event_type="error").exists()
    warning = Event.objects.get(event_type="warning")
    assert (warning.action, warning.status, warning.path, warning.method) == (
        "client_error",
        404,
        f"{HUB}no-such-tab/",
        "GET",
    )
    assert warning.properties == {"error_class": "Http404"}
    assert warning.user_id == "root" and warning.request_id == response["X-Request-ID"]
    assert _server_trouble(caplog) == []


@override_flag("unified_llm_hub", active=True)
def test_hub_delete_of_a_missing_key__400__is_a_client_error_of_the_new_hub(
    superuser: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = superuser.post(f"{HUB}keys/", {"action": "key_delete", "key": "987654"})
    assert response.status_code == 400
    buffer.flush()
    assert not Event.objects.filter(event_type="error").exists()
    warning = Event.objects.get(event_type="warning", action="client_error")
    assert (warning.status, warning.cohort) == (400, "new_hub")
    assert _server_trouble(caplog) == []


def test_admin_without_permission__403__is_a_security_event_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    client = Client()
    client.force_login(get_user_model().objects.create_user("staffer", is_staff=True))
    response = client.get("/admin/flags/flag/add/")  # Django admin raises PermissionDenied
    assert response.status_code == 403
    buffer.flush()
    assert not Event.objects.filter(event_type="error").exists()
    security = Event.objects.get(event_type="security")
    assert (security.action, security.status, security.path) == (
        "forbidden",
        403,
        "/admin/flags/flag/add/",
    )
    # Counted once: the security event is the client error, no second `warning` row.
    assert not Event.objects.filter(event_type="warning").exists()
    assert _server_trouble(caplog) == []


def test_unknown_page__404_without_a_view__is_a_client_error(
    superuser: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    assert superuser.get("/no/such/page/").status_code == 404
    buffer.flush()
    assert list(Event.objects.values_list("event_type", "status")) == [("warning", 404)]
    assert _server_trouble(caplog) == []


def test_unknown_api_path__404__is_counted_once_by_its_api_call(
    superuser: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    assert superuser.get("/api/v1/features/no_such_flag/history").status_code == 404
    buffer.flush()
    assert list(Event.objects.values_list("event_type", "status")) == [("api_call", 404)]
    assert _server_trouble(caplog) == []


@override_flag("unified_llm_hub", active=True)
def test_dashboard__client_errors_apart_from_server_errors_per_cohort(superuser: Client) -> None:
    # given a visitor of the new hub who views a tab and deletes a key that is gone (400)
    assert superuser.get(f"{HUB}keys/").status_code == 200
    superuser.post(f"{HUB}keys/", {"action": "key_delete", "key": "987654"})
    buffer.flush()
    # when the dashboard is read (no aggregation in between)
    new_hub = superuser.get("/telemetry/data.json?days=1").json()["cohorts"]["new_hub"]
    page = superuser.get("/telemetry/?days=1").content.decode()
    # then the 400 is a client error of the new hub, and its server error rate stays 0
    assert (new_hub["client_errors"], new_hub["errors"], new_hub["error_rate"]) == ([1], [0], [0.0])
    assert "Server error rate per cohort" in page and "Client errors (4xx) per cohort" in page


def test_admin_index__links_the_dashboard(superuser: Client) -> None:
    index = superuser.get("/admin/").content.decode()
    assert 'href="/telemetry/"' in index and "Telemetry dashboard" in index
    assert superuser.get("/telemetry/").status_code == 200
