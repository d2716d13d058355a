"""LLMHubMonitor and record_metric: one stored event per call, no round trip per call."""

from __future__ import annotations

import math
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from telemetry import LLMHubMonitor, buffer, record_metric, services
from telemetry.context import RequestContext, current
from telemetry.models import Event

pytestmark = pytest.mark.django_db


def _every_method() -> None:
    LLMHubMonitor.log_page_view("ann", "llm-hub", tab="keys", referrer="/x", cohort="new_hub")
    LLMHubMonitor.log_feature_usage("ann", "key-rotation", "rotate", page="llm-hub")
    LLMHubMonitor.log_api_call("ann", "/api/v1/x", "GET", 200, 12.0, route="/api/v1/x")
    LLMHubMonitor.log_error("ann", RuntimeError("bad"), {"tab": "models"})
    LLMHubMonitor.log_warning("ann", "slow provider", {"provider": "groq"})
    LLMHubMonitor.log_security_event("ann", "key_revealed", "critical", {"key": 4})
    LLMHubMonitor.log_performance_metric("ann", "page_load", 840.0, page="llm-hub")
    LLMHubMonitor.log_user_action("ann", "save_rule", page="llm-hub", tab="tiers")
    record_metric("provider_latency_ms", 320.5, provider="openai")


def test_monitor__in_a_request__buffers_and_writes_in_one_bulk_insert(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a request context
    ctx = RequestContext(request_id="r1", cohort="old_pages")
    token = current.set(ctx)
    try:
        # when every method is called: no query at all
        with CaptureQueriesContext(connection) as during:
            _every_method()
        assert len(during) == 0
    finally:
        current.reset(token)
    # then the end of the request writes the kept ones in one bulk write; api_call waits
    writes: list[int] = []
    store = services.events_store

    def counted(*, rows: list[dict[str, Any]]) -> int:
        writes.append(len(rows))
        return store(rows=rows)

    monkeypatch.setattr(services, "events_store", counted)
    buffer.write_now(ctx.pending)
    assert writes == [8]
    assert Event.objects.count() == 8
    assert buffer.flush() == 1
    types = sorted(Event.objects.values_list("event_type", flat=True))
    expected = ["page_view", "feature_usage", "api_call", "error", "warning", "security"]
    expected += ["performance", "user_action", "performance"]
    assert types == sorted(expected)
    assert set(Event.objects.values_list("request_id", flat=True)) == {"r1"}
    # the cohort given explicitly wins; the request's fills in the rest
    assert Event.objects.get(event_type="page_view").cohort == "new_hub"
    assert Event.objects.get(event_type="user_action").cohort == "old_pages"


def test_monitor__outside_a_request__keeps_security_at_once_and_buffers_the_rest() -> None:
    LLMHubMonitor.log_security_event("ann", "token_revoked")
    LLMHubMonitor.log_page_view("ann", "llm-hub")
    assert list(Event.objects.values_list("event_type", flat=True)) == ["security"]
    buffer.flush()
    assert Event.objects.count() == 2


def test_monitor__user_object__is_stored_by_username(django_user_model) -> None:
    user = django_user_model.objects.create_user("bob")
    LLMHubMonitor.log_security_event(user, "login")
    assert Event.objects.get().user_id == "bob"


def test_monitor__database_down__never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    from telemetry import services

    def refuse(**kwargs: object) -> None:
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(services, "events_store", refuse)
    LLMHubMonitor.log_security_event("ann", "login_failed")  # kept for a retry, no exception
    monkeypatch.undo()
    assert buffer.flush() == 1
    assert Event.objects.get().action == "login_failed"


@pytest.mark.parametrize(
    "call",
    [
        lambda: LLMHubMonitor.log_page_view(object(), page=None, tab=123, referrer=b"\xff"),
        lambda: LLMHubMonitor.log_error(None, None, "not a dict"),
        lambda: LLMHubMonitor.log_warning(3.5, None, ["a", "list"]),
        lambda: LLMHubMonitor.log_security_event("ann", None, None, {1: object()}),  # type: ignore[dict-item]
        lambda: LLMHubMonitor.log_api_call("ann", None, None, "200", "slow"),
        lambda: LLMHubMonitor.log_performance_metric("ann", "x", float("nan")),
        lambda: record_metric("", "not a number", **{"message": "x"}),
    ],
)
def test_monitor__odd_arguments__never_raise_and_still_store(call) -> None:
    call()
    buffer.flush()
    event = Event.objects.get()
    assert event.duration_ms is None or math.isfinite(event.duration_ms)
