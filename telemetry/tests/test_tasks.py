"""The Celery side: every scheduled task exists and is set up to survive a dying worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings

from llmhub.celery import app
from telemetry.models import EventSummary
from telemetry.tasks import aggregate_closed_buckets, prune_events, rebuild_summaries
from telemetry.tests.factories import EventFactory


def test_beat_schedule__every_entry__names_a_registered_task() -> None:
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


@pytest.mark.parametrize("task", [aggregate_closed_buckets, rebuild_summaries, prune_events])
def test_tasks__acks_late_with_time_limits_and_retries(task) -> None:
    assert task.acks_late is True
    assert task.soft_time_limit and task.time_limit and task.soft_time_limit < task.time_limit
    assert task.autoretry_for and task.max_retries == 3


@pytest.mark.django_db
def test_rebuild_summaries__iso_strings__backfill_the_range() -> None:
    at = datetime(2026, 11, 20, 10, 15, tzinfo=UTC)
    EventFactory.create_batch(4, occurred_at=at, received_at=at)
    result = rebuild_summaries.apply(
        args=[(at - timedelta(hours=1)).isoformat(), (at + timedelta(hours=1)).isoformat()]
    ).get()
    # 09:15-11:15: hours 09, 10 and 11 overlap, and the day
    assert result == {"minute": 120, "hour": 3, "day": 1}
    assert EventSummary.objects.get(bucket_size="hour").count == 4
