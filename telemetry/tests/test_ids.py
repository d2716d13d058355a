"""Event ids made here: valid version 7 UUIDs, ordered by time, never repeated."""

from __future__ import annotations

import time
import uuid

from telemetry.ids import uuid7
from telemetry.rows import build_row


def test_uuid7__version_variant_and_time() -> None:
    before = time.time_ns() // 1_000_000
    made = uuid7()
    after = time.time_ns() // 1_000_000
    assert made.version == 7
    assert made.variant == uuid.RFC_4122
    assert before <= made.int >> 80 <= after
    assert uuid.UUID(str(made)) == made


def test_uuid7__ordered_across_milliseconds_and_unique() -> None:
    first = [uuid7() for _ in range(1000)]
    time.sleep(0.002)
    second = [uuid7() for _ in range(1000)]
    assert max(first) < min(second)
    assert len(set(first + second)) == 2000


def test_recorded_events__get_time_ordered_ids_unless_given_one() -> None:
    assert build_row("api_call", {})["event_id"].version == 7
    given = uuid.uuid4()
    assert build_row("page_view", {"event_id": given})["event_id"] == given
