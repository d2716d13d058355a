"""The one place an Event row is built: every stored event is a dict of its columns made here.

`build_row` is the general builder (any event type, any fields, each value checked and cut to
its column). Two hot paths have a specialisation that makes the same row without the generic
steps, each held to `build_row` by a differential test over generated inputs
(telemetry/tests/test_rows.py): `api_call_row`, recorded on every API request, and
`browser_row`, for every event of a validated browser batch.

Bottom layer: the model and the request context only, no I/O, no clock unless none is given.
"""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, datetime
from typing import Any

from django.db.models import CharField
from django.utils import timezone

from telemetry.context import RequestContext
from telemetry.ids import uuid7
from telemetry.models import Event

Row = dict[str, Any]

# Text columns of Event and their widths, read from the model: longer values are cut, never
# refused. event_type is not free text (always one of EventType).
WIDTHS: dict[str, int] = {
    field.name: field.max_length
    for field in Event._meta.concrete_fields
    if isinstance(field, CharField) and field.max_length and field.name != "event_type"
}
# The fast path indexes these directly instead of looping over WIDTHS.
_PAGE, _PATH, _METHOD = WIDTHS["page"], WIDTHS["path"], WIDTHS["method"]


def jsonable(value: Any) -> Any:
    """`value` as plain JSON data (what a JSONField stores); anything odd becomes text.

    NUL characters become U+FFFD: PostgreSQL's text and jsonb cannot hold them, and one such
    row would make its whole batch fail.
    """
    try:
        text = json.dumps(value, default=str)
    except (TypeError, ValueError):
        return without_nul(repr(value))
    data = json.loads(text)
    return _deep_without_nul(data) if "\\u0000" in text else data


def without_nul(text: str) -> str:
    return text.replace("\x00", "\ufffd")


def _deep_without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return without_nul(value)
    if isinstance(value, list):
        return [_deep_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {without_nul(key): _deep_without_nul(item) for key, item in value.items()}
    return value


def build_row(
    event_type: str,
    fields: dict[str, Any],
    *,
    context: RequestContext | None = None,
    now: datetime | None = None,
) -> Row:
    """Column values for one Event: the given fields, the request's (`context`) where a field
    is not given. `now` (default: the clock) is the time of storage and of an event given none.
    """
    now = timezone.now() if now is None else now
    user_id, session_id = context.identity() if context else ("", "")
    row: Row = {
        "event_id": _event_id(fields.get("event_id")),
        "event_type": event_type,
        "occurred_at": _moment(fields.get("occurred_at"), now),
        "received_at": now,
        "request_id": context.request_id if context else "",
        "session_id": session_id,
        "user_id": user_id,
        "cohort": context.cohort if context else "",
    }
    for name, width in WIDTHS.items():
        value = fields.get(name)
        if value is not None and value != "":
            row[name] = without_nul(str(value)[:width])
        row.setdefault(name, "")
    row["duration_ms"] = _number(fields.get("duration_ms"))
    status = fields.get("status")
    row["status"] = status if isinstance(status, int) and 0 <= status < 1000 else None
    row["properties"] = fields.get("properties") or {}
    return row


def api_call_row(
    context: RequestContext | None,
    now: datetime,
    *,
    page: str,
    path: str,
    method: str,
    status: int,
    duration_ms: float,
) -> Row:
    """`build_row("api_call", {page, path, method, status, duration_ms}, ...)` without its
    generic steps: this runs on every flag evaluation, where the general builder cost about
    5 µs in-process and four times that in a loaded worker (docs/PERFORMANCE.md). The same
    keys in the same order; test_rows.py holds the two to the same rows.
    """
    user_id, session_id = context.identity() if context else ("", "")
    return {
        "event_id": uuid7(),
        "event_type": "api_call",
        "occurred_at": now,
        "received_at": now,
        "request_id": context.request_id if context else "",
        "session_id": session_id,
        "user_id": user_id,
        "cohort": context.cohort if context else "",
        "page": without_nul(page[:_PAGE]),
        "tab": "",
        "feature": "",
        "action": "",
        "flag": "",
        "path": without_nul(path[:_PATH]),
        "method": without_nul(method[:_METHOD]),
        "duration_ms": _number(duration_ms),
        "status": status if 0 <= status < 1000 else None,
        "properties": {},
    }


def browser_row(event: dict[str, Any], *, now: datetime, identity: dict[str, str]) -> Row:
    """`build_row(event["type"], {**event, **identity}, now=now)` for an event the batch
    serializer validated (telemetry.serializers), with the identity of the request that posted
    it, never the current context's. A time in the future (a client clock running fast) is
    clamped to now: aggregation relies on occurred_at <= received_at.

    A specialisation, like `api_call_row`: validation already guarantees what the general
    builder checks (a UUID, an aware time, labels within their column and free of NUL, numbers
    in range), and a batch of 500 pays the general steps 500 times (about 5 µs an event,
    docs/PERFORMANCE.md). test_rows.py holds the two to the same rows for generated batches.
    """
    return {
        "event_id": event["event_id"],
        "event_type": event["type"],
        "occurred_at": min(event["occurred_at"], now),
        "received_at": now,
        "request_id": identity["request_id"],
        "session_id": identity["session_id"],
        "user_id": identity["user_id"],
        "cohort": event.get("cohort", ""),
        "page": event.get("page", ""),
        "tab": event.get("tab", ""),
        "feature": event.get("feature", ""),
        "action": event.get("action", ""),
        "flag": event.get("flag", ""),
        "path": event.get("path", ""),
        "method": "",
        "duration_ms": event.get("duration_ms"),
        "status": event.get("status"),
        "properties": event.get("properties") or {},
    }


def _event_id(value: Any) -> uuid.UUID:
    """The given id as a UUID, or a new time-ordered one (none given, or not a UUID)."""
    if isinstance(value, uuid.UUID):
        return value
    if value:
        try:
            return uuid.UUID(str(value))
        except ValueError:
            pass
    return uuid7()


def _moment(value: Any, now: datetime) -> datetime:
    """An aware time: a naive one is taken as UTC; anything else is now."""
    if not isinstance(value, datetime):
        return now
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _number(value: Any) -> float | None:
    """A finite float, else None: NaN or infinity would poison max and percentiles."""
    try:
        number = None if value is None else float(value)
    except (TypeError, ValueError):
        return None
    return number if number is not None and math.isfinite(number) else None
