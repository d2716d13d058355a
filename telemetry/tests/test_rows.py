"""The one row builder: its api_call fast path pinned to it, widths from the model, browser rows.

The differential test generates many api_call inputs (odd text, NUL characters, overlong
values, out-of-range statuses, NaN and infinite durations, with and without a request) and
requires the fast specialisation and the general builder to produce the same row, key order
included (the log line and the COPY read rows by key).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db.models import CharField
from django.utils import timezone
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from telemetry.context import RequestContext, current
from telemetry.models import Event
from telemetry.rows import WIDTHS, api_call_row, browser_row, build_row
from telemetry.serializers import BROWSER_TYPES, BrowserEventSerializer

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

# NUL characters (stored as U+FFFD) and lengths around the column widths are drawn often.
_TEXT = (
    st.text(max_size=600)
    | st.text(alphabet=st.sampled_from(["a", "\x00", "é", "/"]), min_size=5, max_size=520)
    | st.sampled_from(["", "/api/v1/features/<str:name>", "GET", "x" * 199 + "\x00" * 3])
)
_CONTEXTS = st.none() | st.builds(
    RequestContext,
    request_id=st.text(max_size=130),
    user_id=st.text(max_size=160),
    session_id=st.text(max_size=70),
    cohort=st.sampled_from(["", "new_hub", "old_pages"]) | st.text(max_size=60),
)
_DURATIONS = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, 0.31])


def _without_id(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key != "event_id"}


@settings(max_examples=500, database=None, deadline=None)
@given(
    context=_CONTEXTS,
    page=_TEXT,
    path=_TEXT,
    method=_TEXT,
    status=st.integers(min_value=-(2**31), max_value=2**31),
    duration_ms=_DURATIONS,
)
def test_api_call_row__generated_inputs__same_row_as_the_general_builder(
    context: RequestContext | None,
    page: str,
    path: str,
    method: str,
    status: int,
    duration_ms: float,
) -> None:
    fields: dict[str, Any] = {"page": page, "path": path, "method": method, "status": status}
    fast = api_call_row(context, NOW, **fields, duration_ms=duration_ms)
    fields["duration_ms"] = duration_ms
    general = build_row("api_call", fields, context=context, now=NOW)
    assert list(fast) == list(general)  # the same columns in the same order
    assert _without_id(fast) == _without_id(general)  # a NaN duration is None on both
    assert fast["event_id"].version == general["event_id"].version == 7


# Lengths around the column widths are drawn often (text up to the width is valid).
_LABELS = (
    st.text(alphabet="abz09_.:/-", max_size=210)
    | st.text(max_size=12)
    | st.integers(min_value=45, max_value=205).map(lambda n: "a" * n)
)
_BROWSER_EVENTS = st.fixed_dictionaries(
    {
        "event_id": st.uuids().map(str),
        "type": st.sampled_from(BROWSER_TYPES),
        # Minutes from now: in the past, or ahead (a client clock running fast, clamped).
        "minutes": st.integers(min_value=-600, max_value=600),
    },
    optional={
        "page": _LABELS,
        "tab": _LABELS,
        "feature": _LABELS,
        "action": _LABELS,
        "flag": _LABELS,
        "cohort": _LABELS,
        "path": st.text(max_size=510) | st.integers(490, 505).map(lambda n: "/x" * (n // 2)),
        "duration_ms": st.none() | st.floats(min_value=0, max_value=9e7) | st.integers(0, 9),
        "status": st.none() | st.integers(min_value=100, max_value=599),
        "properties": st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5)),
    },
)
_IDENTITIES = st.fixed_dictionaries(
    {
        "user_id": st.text(alphabet="abc@.+-_1", max_size=150),
        "session_id": st.just("") | st.text(alphabet="abcdef0123456789", min_size=32, max_size=40),
        "request_id": st.text(alphabet="abcdef0123456789", min_size=32, max_size=32),
    }
)


@settings(max_examples=300, database=None, deadline=None)
@given(raw=_BROWSER_EVENTS, identity=_IDENTITIES)
def test_browser_row__generated_valid_events__same_row_as_the_general_builder(
    raw: dict[str, Any], identity: dict[str, str]
) -> None:
    # given an event as a browser posts it, validated by the batch's serializer
    now = timezone.now()
    payload = {**raw, "occurred_at": (now + timedelta(minutes=raw.pop("minutes"))).isoformat()}
    serializer = BrowserEventSerializer(data=payload)
    assume(serializer.is_valid())
    event = serializer.validated_data
    # when both builders make its row
    fast = browser_row(event, now=now, identity=identity)
    fields = {**event, "occurred_at": min(event["occurred_at"], now), **identity}
    general = build_row(event["type"], fields, context=None, now=now)
    # then the rows are the same, column for column and in the same order
    assert list(fast) == list(general)
    assert fast == general


def test_build_row__overlong_text__cut_to_the_model_column_width() -> None:
    # given every text column of Event longer than the database allows
    columns = [
        field
        for field in Event._meta.concrete_fields
        if isinstance(field, CharField) and field.name != "event_type"
    ]
    assert {field.name for field in columns} == set(WIDTHS)
    # when a row is built
    row = build_row("page_view", {field.name: "x" * 1000 for field in columns})
    # then each is cut to exactly its column's max_length
    for field in columns:
        assert len(row[field.name]) == field.max_length, field.name


def test_browser_row__identity_given__never_the_current_contexts() -> None:
    # given a request context of someone else, and an event stamped in the future
    event_id = uuid.uuid4()
    event = {
        "event_id": event_id,
        "type": "page_view",
        "occurred_at": NOW + timedelta(minutes=5),
        "page": "llm-hub",
        "cohort": "new_hub",
        "duration_ms": 12.5,
        "status": 200,
        "properties": {"referrer": "/x"},
    }
    identity = {"user_id": "ann", "session_id": "", "request_id": "req-1"}
    token = current.set(RequestContext(request_id="other", user_id="bob", session_id="s"))
    try:
        # when the browser's event becomes a row
        row = browser_row(event, now=NOW, identity=identity)
    finally:
        current.reset(token)
    # then the identity is the one given, the time is clamped to now, the rest is the event's
    assert row == {
        "event_id": event_id,
        "event_type": "page_view",
        "occurred_at": NOW,
        "received_at": NOW,
        "request_id": "req-1",
        "session_id": "",
        "user_id": "ann",
        "cohort": "new_hub",
        "page": "llm-hub",
        "tab": "",
        "feature": "",
        "action": "",
        "flag": "",
        "path": "",
        "method": "",
        "duration_ms": 12.5,
        "status": 200,
        "properties": {"referrer": "/x"},
    }


@pytest.mark.parametrize("given_type", ["page_view", "error"])
def test_browser_row__past_time__kept(given_type: str) -> None:
    earlier = NOW - timedelta(hours=1)
    event = {"event_id": uuid.uuid4(), "type": given_type, "occurred_at": earlier}
    identity = {"user_id": "ann", "session_id": "s1", "request_id": "r"}
    row = browser_row(event, now=NOW, identity=identity)
    assert (row["event_type"], row["occurred_at"], row["received_at"]) == (given_type, earlier, NOW)
    assert (row["user_id"], row["session_id"], row["cohort"]) == ("ann", "s1", "")
