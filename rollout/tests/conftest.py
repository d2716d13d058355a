"""Fixtures of the rollout tests."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from flags import analytics
from telemetry.buffer import process_buffer


@pytest.fixture(autouse=True)
def _empty_buffers() -> Iterator[None]:
    process_buffer.clear()
    analytics.drain()
    yield
    process_buffer.clear()


@pytest.fixture
def quiet_events() -> Iterator[None]:
    """Synthetic traffic records thousands of events: no log line for each."""
    logger = logging.getLogger("telemetry.events")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)
