"""JSON log lines: one per event, with time, level, logger, event type and request id; no
field can break them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from telemetry import LLMHubMonitor, record_metric
from telemetry.context import RequestContext, current
from telemetry.log import RequestIdFilter, SafeJsonFormatter

pytestmark = pytest.mark.django_db


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """What the telemetry logger writes, through the project's formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        SafeJsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("telemetry.events")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def _records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_page_view__writes_one_json_line_with_the_standard_fields(lines: io.StringIO) -> None:
    token = current.set(RequestContext(request_id="req-123"))
    try:
        LLMHubMonitor.log_page_view("ann", "llm-hub", tab="keys", referrer="/admin/")
    finally:
        current.reset(token)
    (record,) = _records(lines)
    assert record["level"] == "INFO" and record["logger"] == "telemetry.events"
    assert record["event_type"] == "page_view" and record["request_id"] == "req-123"
    assert record["time"].endswith("+00:00")
    assert (record["user_id"], record["page"], record["tab"]) == ("ann", "llm-hub", "keys")
    assert record["properties"] == {"referrer": "/admin/"}


def test_reserved_names__are_prefixed_not_fatal(lines: io.StringIO) -> None:
    # `message`, `args`, `name`, `levelname` would make logging raise KeyError in `extra`
    LLMHubMonitor.log_user_action(
        "ann", "save", message="hi", args=[1], name="n", levelname="x", **{"exc_info": 1}
    )
    (record,) = _records(lines)
    assert record["message"] == "user_action"
    assert record["properties"]["message"] == "hi"


def test_unserialisable_values__still_give_one_json_line(lines: io.StringIO) -> None:
    circular: list = []
    circular.append(circular)
    LLMHubMonitor.log_feature_usage("ann", "export", weird=object(), loop=circular, t={(1, 2): 3})
    record_metric("queue_depth", 3, queue={"a": {1, 2}})
    assert len(_records(lines)) == 2


def test_log_error__exception__logs_its_traceback(lines: io.StringIO) -> None:
    try:
        raise ValueError("boom")
    except ValueError as exc:
        LLMHubMonitor.log_error("ann", exc, {"page": "keys", "provider": "openai"})
    (record,) = _records(lines)
    assert record["level"] == "ERROR"
    assert "ValueError: boom" in record["exc_info"]


def test_log_row__reserved_top_level_keys__are_renamed(lines: io.StringIO) -> None:
    from telemetry.log import log_row

    log_row({"event_type": "page_view", "message": "x", "args": 1, "name": "n", "page": "hub"})
    (record,) = _records(lines)
    assert record["message"] == "page_view"
    assert (record["field_message"], record["field_args"], record["field_name"]) == ("x", 1, "n")
