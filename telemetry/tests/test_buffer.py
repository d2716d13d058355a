"""The background writer: buffered events and flag counts reach the database without a
request doing the write."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import flags
from telemetry.buffer import ProcessBuffer
from telemetry.models import Event, FlagEvaluationCount
from telemetry.recording import build_row
from telemetry.tests.worker import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def background(settings) -> Iterator[ProcessBuffer]:
    settings.TELEMETRY_BACKGROUND_FLUSH = True
    settings.TELEMETRY_FLUSH_SECONDS = 0.05
    settings.TELEMETRY_FLAG_FLUSH_SECONDS = 0.05
    buffer = ProcessBuffer()
    yield buffer
    buffer.stop()


def test_background_flush__buffered_events__are_written_by_the_thread(
    background: ProcessBuffer,
) -> None:
    background.add(build_row("api_call", {"path": "/api/v1/features/", "status": 200}))
    wait_for(lambda: Event.objects.filter(event_type="api_call").exists(), timeout=5)


def test_background_flush__flag_evaluations__are_counted_by_the_thread(
    background: ProcessBuffer,
) -> None:
    background.start()
    for _ in range(5):
        flags.is_enabled("missing", "ann")
    wait_for(lambda: FlagEvaluationCount.objects.filter(count=5).exists(), timeout=5)


def test_stop__flushes_what_is_left(settings) -> None:
    settings.TELEMETRY_BACKGROUND_FLUSH = True
    settings.TELEMETRY_FLUSH_SECONDS = 60
    buffer = ProcessBuffer()
    buffer.add(build_row("api_call", {"path": "/api/x"}))
    buffer.stop()
    assert Event.objects.count() == 1
