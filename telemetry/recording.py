"""Record one event: one JSON log line, one stored row (buffered, see telemetry.buffer).

The row comes from telemetry.rows, filled from the current request's context.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from telemetry import buffer
from telemetry.context import current
from telemetry.log import events_logger, log_row
from telemetry.rows import api_call_row, build_row, jsonable

logger = logging.getLogger(events_logger.name)  # the same logger: events and their failures


def user_id_of(user: object) -> str:
    """A user id as the flags see it: a username for a Django user, else the value as text."""
    if user is None:
        return ""
    get_username = getattr(user, "get_username", None)
    if callable(get_username):
        return str(get_username()) if getattr(user, "is_authenticated", False) else ""
    return str(user)


def record_api_call(*, page: str, path: str, method: str, status: int, seconds: float) -> None:
    """The api_call event the middleware records for every API request.

    Built by the fast specialisation of the row builder (telemetry.rows.api_call_row) and
    handed straight to the process buffer (api_call is deferred). With INFO logging on, the
    event's log line goes through `record_event` as every other event.
    """
    duration_ms = round(seconds * 1000, 3)
    if logger.isEnabledFor(logging.INFO):
        record_event(
            "api_call", page=page, path=path, method=method, status=status, duration_ms=duration_ms
        )
        return
    row = api_call_row(
        current.get(),
        timezone.now(),
        page=page,
        path=path,
        method=method,
        status=status,
        duration_ms=duration_ms,
    )
    buffer.process_buffer.add(row)


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
    background (as buffer.DEFERRED_TYPES are) instead of with the request's commit.
    """
    try:
        if "properties" in fields:
            fields["properties"] = jsonable(fields["properties"])
        row = build_row(event_type, fields, context=current.get())
    except Exception:
        logger.exception("telemetry event could not be built", extra={"event_type": event_type})
        return
    log_row(row, level=level, exc_info=exc_info)
    if deferred:
        buffer.process_buffer.add(row)
    else:
        buffer.add(row)
