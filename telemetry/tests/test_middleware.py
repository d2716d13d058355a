"""The middleware: request ids, api_call timings, security and error events."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from flags.services import flag_create, flag_set_rollout
from llmhub.actors import Actor
from telemetry import buffer
from telemetry.context import RequestContext, current
from telemetry.models import Event
from telemetry.recording import record_api_call, record_event

pytestmark = [pytest.mark.django_db, pytest.mark.urls("telemetry.tests.urls")]


def test_request_id__sane_incoming_id__is_kept_and_echoed() -> None:
    response = Client().get("/pages/plain", HTTP_X_REQUEST_ID="abc-123.req")
    assert response["X-Request-ID"] == "abc-123.req"


@pytest.mark.parametrize("incoming", [None, "", "has space", "x" * 200, 'quote"d', "new\nline"])
def test_request_id__missing_or_insane__is_replaced(incoming: str | None) -> None:
    headers = {} if incoming is None else {"HTTP_X_REQUEST_ID": incoming}
    response = Client().get("/pages/plain", **headers)
    assert response["X-Request-ID"] != incoming
    assert len(response["X-Request-ID"]) == 32


@pytest.fixture(params=["INFO", "WARNING"])
def events_log_level(request: pytest.FixtureRequest) -> Iterator[str]:
    """With INFO an api_call goes through record_event (its log line too); else the lean path."""
    events = logging.getLogger("telemetry.events")
    before = events.level
    events.setLevel(request.param)
    yield str(request.param)
    events.setLevel(before)


@pytest.mark.usefixtures("events_log_level")
def test_api_call__every_api_request__is_timed_by_route() -> None:
    response = Client().get("/api/test/items/42")
    Client().post("/ofrep/v1/evaluate/flags")
    Client().get("/pages/plain")
    assert not Event.objects.exists()  # buffered, never written inside the request
    buffer.flush()
    calls = list(Event.objects.filter(event_type="api_call").order_by("path"))
    assert [(c.path, c.method, c.status) for c in calls] == [
        ("/api/test/items/42", "GET", 200),
        ("/ofrep/v1/evaluate/flags", "POST", 200),
    ]
    assert calls[0].page == "/api/test/items/<int:item_id>"
    assert calls[0].duration_ms is not None and calls[0].duration_ms >= 0
    assert calls[0].request_id == response["X-Request-ID"]


def _recorded(record: Any) -> dict[str, Any]:
    ctx = RequestContext(request_id="rid-1", request=SimpleNamespace(user=User(username="bob")))
    ctx.cohort = "new_hub"
    token = current.set(ctx)
    try:
        record()
    finally:
        current.reset(token)
    (row,) = buffer.process_buffer.clear()
    return row


@pytest.mark.parametrize(
    ("path", "status"), [("/api/x/1", 200), ("/api/\x00" + "y" * 600, 503), ("/api/z", 1200)]
)
def test_api_call__lean_row__is_record_events_row(path: str, status: int) -> None:
    events = logging.getLogger("telemetry.events")
    before = events.level
    events.setLevel(logging.WARNING)
    try:
        fields = {"page": "/api/x/<int:id>", "path": path, "method": "GET", "status": status}
        lean = _recorded(lambda: record_api_call(**fields, seconds=0.0123456))
        general = _recorded(lambda: record_event("api_call", **fields, duration_ms=12.346))
    finally:
        events.setLevel(before)
    moments = ("event_id", "occurred_at", "received_at")
    assert {k: v for k, v in lean.items() if k not in moments} == {
        k: v for k, v in general.items() if k not in moments
    }
    assert lean["event_id"].version == 7 and lean["occurred_at"] == lean["received_at"]
    assert lean["user_id"] == "bob" and lean["cohort"] == "new_hub"


@pytest.mark.parametrize(
    ("url", "status", "action"),
    [
        ("/api/test/unauthorized", 401, "unauthorized"),
        ("/api/test/forbidden", 403, "forbidden"),
        ("/api/test/throttled", 429, "throttled"),
    ],
)
def test_security__401_403_429__are_committed_before_the_response(
    url: str, status: int, action: str
) -> None:
    response = Client().get(url)
    assert response.status_code == status
    event = Event.objects.get(event_type="security")  # no flush needed: already committed
    assert (event.action, event.status, event.path) == (action, status, url)


def test_error__unhandled_api_exception__json_500_without_traceback() -> None:
    response = Client(raise_request_exception=False).get("/api/test/crash")
    assert response.status_code == 500
    body = response.json()
    assert body["error"]["code"] == "server_error"
    assert response["X-Request-ID"] in body["error"]["message"]
    assert b"secret detail" not in response.content and b"Traceback" not in response.content
    event = Event.objects.get(event_type="error")
    assert event.properties == {"error_class": "RuntimeError", "unhandled": True}
    assert (event.status, event.page) == (500, "/api/test/crash")
    assert event.request_id == response["X-Request-ID"]


def test_error__unhandled_page_exception__one_error_event_and_no_traceback() -> None:
    response = Client(raise_request_exception=False).get("/pages/crash")
    assert response.status_code == 500
    assert b"secret detail" not in response.content
    event = Event.objects.get(event_type="error")
    assert event.status == 500 and event.properties["unhandled"] is True


def test_error__page_answered_503__is_a_server_error_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    response = Client().get("/pages/unavailable")  # a database outage's answer, say
    assert response.status_code == 503
    event = Event.objects.get(event_type="error")  # committed with the response
    assert (event.status, event.path, event.properties) == (
        503,
        "/pages/unavailable",
        {"unhandled": False},
    )
    (line,) = [r for r in caplog.records if r.name == "telemetry.events"]
    assert line.levelno == logging.ERROR and not line.exc_info


def test_error__exception_outside_the_view__one_error_event(settings: Any) -> None:
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "telemetry.tests.urls.CrashingMiddleware"]
    response = Client(raise_request_exception=False).get("/pages/plain")
    assert response.status_code == 500
    event = Event.objects.get(event_type="error")  # the receiver's; the middleware adds none
    assert event.properties == {"error_class": "RuntimeError", "unhandled": True}


def test_error__api_answered_503__is_counted_once_by_its_api_call() -> None:
    assert Client().get("/api/test/unavailable").status_code == 503
    buffer.flush()
    assert list(Event.objects.values_list("event_type", "status")) == [("api_call", 503)]


def test_flag_change__stores_a_flag_change_and_a_security_event(
    django_user_model, django_capture_on_commit_callbacks
) -> None:
    admin = Actor.for_user(django_user_model.objects.create_user("root"))
    with django_capture_on_commit_callbacks(execute=True):
        flag_create(name="unified_llm_hub", actor=admin, source="admin")
    with django_capture_on_commit_callbacks(execute=True):
        flag_set_rollout(name="unified_llm_hub", percentage=25, actor=admin, source="api")
    changes = Event.objects.filter(event_type="flag_change").order_by("id")
    assert [(c.flag, c.action, c.user_id) for c in changes] == [
        ("unified_llm_hub", "create", "root"),
        ("unified_llm_hub", "rollout", "root"),
    ]
    assert "rollout_percentage" in changes[1].properties["changed"]
    assert Event.objects.filter(event_type="security", action="flag_change").count() == 2
