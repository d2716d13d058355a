"""Fixtures of telemetry's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from flags import analytics
from telemetry import flag_counts
from telemetry.buffer import process_buffer


@pytest.fixture(autouse=True)
def _empty_buffers() -> Iterator[None]:
    """Nothing recorded by an earlier test waits in this process's buffers."""
    process_buffer.clear()
    analytics.drain()
    flag_counts._pending.clear()
    yield
    process_buffer.clear()
