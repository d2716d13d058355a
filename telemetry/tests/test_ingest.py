"""POST /api/v1/telemetry/events: batches validated whole, stored once, answered 202."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from telemetry.models import Event
from telemetry.tests.factories import browser_event

pytestmark = pytest.mark.django_db
URL = "/api/v1/telemetry/events"


@pytest.fixture
def client() -> Client:
    user = get_user_model().objects.create_user("ann", password="pw-ann-123")
    client = Client()
    client.force_login(user)
    return client


def _post(client: Client, body: Any) -> Any:
    return client.post(URL, json.dumps(body), content_type="application/json")


def test_ingest__valid_batch__stores_every_event_and_answers_202(client: Client) -> None:
    events = [browser_event(duration_ms=12.5) for _ in range(100)]
    response = _post(client, {"events": events})
    assert response.status_code == 202
    assert response.json() == {"stored": 100, "duplicates": 0}
    assert Event.objects.count() == 100
    stored = Event.objects.first()
    assert stored is not None and stored.user_id == "ann" and stored.cohort == "new_hub"
    assert stored.request_id == response["X-Request-ID"]


def test_ingest__same_batch_three_times__is_stored_once(client: Client) -> None:
    events = [browser_event() for _ in range(50)]
    answers = [_post(client, {"events": events}).json() for _ in range(3)]
    assert answers == [
        {"stored": 50, "duplicates": 0},
        {"stored": 0, "duplicates": 50},
        {"stored": 0, "duplicates": 50},
    ]
    assert Event.objects.count() == 50


def test_ingest__duplicate_inside_one_batch__counts_as_duplicate(client: Client) -> None:
    event = browser_event()
    assert _post(client, {"events": [event, event]}).json() == {"stored": 1, "duplicates": 1}


def test_ingest__one_invalid_event__rejects_the_batch_and_stores_nothing(client: Client) -> None:
    events = [browser_event() for _ in range(5)]
    events[3]["type"] = "api_call"  # server-side type: a browser may not forge it
    events[4]["duration_ms"] = -1
    response = _post(client, {"events": events})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"events[3].type", "events[4].duration_ms"}
    assert Event.objects.count() == 0


def test_ingest__bad_items_and_members__named_by_the_api_field_paths(client: Client) -> None:
    # given a batch whose second item is no object and whose third lacks a member
    events: list[Any] = [browser_event(), "not-an-event", browser_event(), browser_event()]
    del events[2]["occurred_at"]
    events[3]["status"] = 42

    # when it is posted
    response = _post(client, {"events": events})

    # then each problem is named as everywhere in the API: `[index]` for an item, `.member`
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"events[1]", "events[2].occurred_at", "events[3].status"}
    assert fields["events[2].occurred_at"] == ["This field is required."]
    assert fields["events[1]"] == ["Invalid data. Expected a dictionary, but got str."]
    assert Event.objects.count() == 0


def test_ingest__events_not_a_list__named_at_the_top(client: Client) -> None:
    response = _post(client, {"events": {"0": browser_event()}})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"events"}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"events": []},
        {"events": "nope"},
        [browser_event()],
        {"events": [{"type": "page_view"}]},
        {"events": [browser_event(occurred_at="yesterday-ish")]},
        {"events": [browser_event(occurred_at="2020-01-01T00:00:00Z")]},
        {"events": [browser_event(properties={"blob": "x" * 5000})]},
        {"events": [browser_event(page="<script>")]},
    ],
)
def test_ingest__malformed_batch__is_400_with_the_error_shape(client: Client, body: Any) -> None:
    response = _post(client, body)
    assert response.status_code == 400
    assert set(response.json()["error"]) >= {"code", "message", "fields"}
    assert Event.objects.count() == 0


@pytest.mark.parametrize("duration", ["NaN", "Infinity", "1e999"])
def test_ingest__non_finite_duration__is_400(client: Client, duration: str) -> None:
    body = json.dumps({"events": [browser_event(duration_ms=1.5)]}).replace("1.5", duration)
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert Event.objects.count() == 0


def test_ingest__more_than_500_events__is_413_in_the_error_shape(client: Client) -> None:
    response = _post(client, {"events": [browser_event() for _ in range(501)]})
    assert response.status_code == 413  # docs/TELEMETRY.md: "At most 500 events ... (413 beyond)"
    error = response.json()["error"]
    assert error["code"] == "too_large"
    assert "500" in error["message"] and "501" in error["message"]
    assert error["fields"] == {"events": [error["message"]]}
    assert Event.objects.count() == 0


def test_ingest__exactly_500_events__are_stored(client: Client) -> None:
    response = _post(client, {"events": [browser_event() for _ in range(500)]})
    assert response.status_code == 202
    assert response.json() == {"stored": 500, "duplicates": 0}


def test_ingest__body_at_the_size_limit__is_accepted(client: Client, settings: Any) -> None:
    body = json.dumps({"events": [browser_event() for _ in range(3)]})
    settings.TELEMETRY_MAX_BATCH_BYTES = len(body.encode())
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 202


@pytest.mark.parametrize("length", ["abc", "-5", "1e3"])
def test_ingest__malformed_content_length__is_a_4xx_not_a_500(client: Client, length: str) -> None:
    body = json.dumps({"events": [browser_event()]})
    response = client.post(URL, body, content_type="application/json", CONTENT_LENGTH=length)
    assert response.status_code == 400
    assert response.json()["error"]["code"] in ("invalid", "parse_error")


def test_ingest__body_over_the_size_limit__is_413(client: Client, settings: Any) -> None:
    settings.TELEMETRY_MAX_BATCH_BYTES = 2000
    response = _post(client, {"events": [browser_event() for _ in range(20)]})
    assert response.status_code == 413
    assert response.json()["error"] == {  # the one error shape: no fields, none named
        "code": "too_large",
        "message": "A batch may take at most 2000 bytes.",
    }
    assert Event.objects.count() == 0


def test_ingest__anonymous__is_refused_and_stores_nothing() -> None:
    response = _post(Client(), {"events": [browser_event()]})
    assert response.status_code in (401, 403)
    assert not Event.objects.exclude(event_type="security").exists()


def test_ingest__time_in_the_future__is_clamped_to_now(client: Client) -> None:
    _post(client, {"events": [browser_event(occurred_at="2999-01-01T00:00:00Z")]})
    event = Event.objects.get()
    assert event.occurred_at <= event.received_at
