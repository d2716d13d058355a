"""JSON log lines that nothing can break.

`SafeJsonFormatter` is python-json-logger's formatter (whose encoder already turns unknown
objects into strings) with one more guarantee: a record it cannot format at all (a circular
structure, a tuple as a key) still yields one JSON line instead of an exception.
`safe_fields` renames keys that would collide with LogRecord attributes (`message`, `args`,
`name`, ...), which `logging` would otherwise refuse with a KeyError. `log_row` writes an
event's line (every recorded or ingested event has one).

Loaded by the LOGGING setting before the app registry: nothing here may import a model.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from telemetry.context import current_request_id

# Every attribute a LogRecord has, plus the names the formatter itself writes.
_RESERVED = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "time",
    "level",
    "logger",
    "event_type",
    "request_id",
}
RESERVED_PREFIX = "field_"

# The logger of event lines: one per recorded or ingested event.
events_logger = logging.getLogger("telemetry.events")
_SET_BY_LOGGER = frozenset({"event_type", "request_id"})


def safe_fields(fields: dict[Any, Any]) -> dict[str, Any]:
    """Fields made safe for `extra=`: string keys, reserved names prefixed with `field_`."""
    safe: dict[str, Any] = {}
    for key, value in fields.items():
        name = key if isinstance(key, str) else str(key)
        if name in _RESERVED or name.startswith(RESERVED_PREFIX):
            name = RESERVED_PREFIX + name
        safe[name] = value
    return safe


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
    if not events_logger.isEnabledFor(level):
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
        events_logger.log(level, row["event_type"], extra=extra, exc_info=exc_info)
    except Exception:
        events_logger.exception("telemetry log line failed")


class RequestIdFilter(logging.Filter):
    """Stamp every record (Django's own included) with the current request id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            # django.request logs after the middleware is done: its record carries the request.
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", None) or current_request_id()
        return True


class SafeJsonFormatter(JsonFormatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        """ISO 8601 in UTC, whatever the process's local time zone."""
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")

    def format(self, record: logging.LogRecord) -> str:
        try:
            return super().format(record)
        except Exception as exc:  # noqa: BLE001 - logging must never raise into the caller
            return json.dumps(
                {
                    "time": self.formatTime(record),
                    "level": record.levelname,
                    "logger": record.name,
                    "message": repr(record.msg)[:2000],
                    "log_error": f"{type(exc).__name__}: {exc}"[:500],
                }
            )
