"""Record one event: one JSON log line, one stored row (buffered, see telemetry.buffer)."""

from __future__ import annotations

import json
import logging
import math
import uuid
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from telemetry import buffer
from telemetry.context import current
from telemetry.ids import uuid7
from telemetry.log import safe_fields

logger = logging.getLogger("telemetry.events")

# Column widths of telemetry.models.Event: longer values are cut, never refused.
_WIDTHS = {
    "user_id": 150,
    "session_id": 64,
    "request_id": 128,
    "page": 200,
    "tab": 100,
    "feature": 100,
    "action": 100,
    "flag": 100,
    "cohort": 50,
    "path": 500,
    "method": 10,
}
_SET_BY_LOGGER = frozenset({"event_type", "request_id"})
# Written in bulk in the background: automatic and frequent, nobody waits for them.
DEFERRED_TYPES = frozenset({"api_call", "flag_evaluation"})
# Worth a database round trip of their own when no request buffers them.
DURABLE_TYPES = frozenset({"security", "flag_change", "error"})


def user_id_of(user: object) -> str:
    """A user id as the flags see it: a username for a Django user, else the value as text."""
    if user is None:
        return ""
    get_username = getattr(user, "get_username", None)
    if callable(get_username):
        return str(get_username()) if getattr(user, "is_authenticated", False) else ""
    return str(user)


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


def build_row(event_type: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Column values for one Event, filled from the current request where not given."""
    ctx = current.get()
    user_id, session_id = ctx.identity() if ctx else ("", "")
    now = timezone.now()
    row: dict[str, Any] = {
        "event_id": _event_id(fields.get("event_id")),
        "event_type": event_type,
        "occurred_at": _moment(fields.get("occurred_at"), now),
        "received_at": now,
        "request_id": ctx.request_id if ctx else "",
        "session_id": session_id,
        "user_id": user_id,
        "cohort": ctx.cohort if ctx else "",
    }
    for name, width in _WIDTHS.items():
        value = fields.get(name)
        if value is not None and value != "":
            row[name] = without_nul(str(value)[:width])
        row.setdefault(name, "")
    row["duration_ms"] = _number(fields.get("duration_ms"))
    status = fields.get("status")
    row["status"] = status if isinstance(status, int) and 0 <= status < 1000 else None
    row["properties"] = fields.get("properties") or {}
    return row


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


def _plain(value: Any) -> Any:
    """Ids and times as text before the formatter sees them: its fallback path is slow."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def log_row(row: dict[str, Any], *, level: int = logging.INFO, exc_info: Any = None) -> None:
    """Write the event's JSON log line. Never raises.

    Free-form input sits inside `properties`; top-level keys still pass through
    `safe_fields`, so a key named like a LogRecord attribute is renamed, never fatal.
    """
    if not logger.isEnabledFor(level):
        return
    try:
        extra = safe_fields(
            {
                key: _plain(value)
                for key, value in row.items()
                if value is not None and value != "" and value != {} and key not in _SET_BY_LOGGER
            }
        )
        extra["event_type"] = row["event_type"]
        extra["request_id"] = row.get("request_id", "")
        logger.log(level, row["event_type"], extra=extra, exc_info=exc_info)
    except Exception:
        logger.exception("telemetry log line failed")


def record_api_call(*, page: str, path: str, method: str, status: int, seconds: float) -> None:
    """The api_call event the middleware records for every API request.

    The row `record_event` builds, without its generic steps (every field here is known and
    plain text or a number): this runs on every flag evaluation, where `record_event` cost
    about 5 µs in-process and four times that in a loaded worker (docs/PERFORMANCE.md). With
    INFO logging on, the event's log line goes through `record_event` as every other event.
    """
    duration_ms = round(seconds * 1000, 3)
    if logger.isEnabledFor(logging.INFO):
        record_event(
            "api_call", page=page, path=path, method=method, status=status, duration_ms=duration_ms
        )
        return
    ctx = current.get()
    user_id, session_id = ctx.identity() if ctx else ("", "")
    now = timezone.now()
    buffer.process_buffer.add(  # api_call is deferred: always the process buffer
        {
            "event_id": uuid7(),
            "event_type": "api_call",
            "occurred_at": now,
            "received_at": now,
            "request_id": ctx.request_id if ctx else "",
            "session_id": session_id,
            "user_id": user_id,
            "cohort": ctx.cohort if ctx else "",
            "page": without_nul(page[: _WIDTHS["page"]]),
            "tab": "",
            "feature": "",
            "action": "",
            "flag": "",
            "path": without_nul(path[: _WIDTHS["path"]]),
            "method": without_nul(method[: _WIDTHS["method"]]),
            "duration_ms": _number(duration_ms),
            "status": status if 0 <= status < 1000 else None,
            "properties": {},
        }
    )


def record_event(
    event_type: str,
    *,
    level: int = logging.INFO,
    exc_info: Any = None,
    deferred: bool = False,
    **fields: Any,
) -> None:
    """Log and store one event. Never raises: telemetry must not break what it watches.

    `deferred`: an automatic figure nobody waits for, written by the process buffer in the
    background (as DEFERRED_TYPES are) instead of with the request's commit.
    """
    try:
        if "properties" in fields:
            fields["properties"] = jsonable(fields["properties"])
        row = build_row(event_type, fields)
    except Exception:
        logger.exception("telemetry event could not be built", extra={"event_type": event_type})
        return
    log_row(row, level=level, exc_info=exc_info)
    if deferred:
        buffer.process_buffer.add(row)
    else:
        buffer.add(row)
