"""Celery tasks: thin wrappers, primitive arguments, one service call each.

acks_late (settings) plus idempotent services: a task that dies mid-run is simply run again.
"""

from __future__ import annotations

from datetime import datetime

from celery import shared_task

from telemetry.aggregation.services import summaries_aggregate_closed, summaries_rebuild
from telemetry.services import events_prune

_RETRY = {"max_retries": 3, "countdown": 10}


@shared_task(
    name="telemetry.aggregate_closed_buckets",
    acks_late=True,
    soft_time_limit=50,
    time_limit=55,
    autoretry_for=(Exception,),
    retry_kwargs=_RETRY,
)
def aggregate_closed_buckets() -> dict[str, int]:
    return {r.bucket_size: r.buckets for r in summaries_aggregate_closed()}


@shared_task(
    name="telemetry.rebuild_summaries",
    acks_late=True,
    soft_time_limit=600,
    time_limit=660,
    autoretry_for=(Exception,),
    retry_kwargs=_RETRY,
)
def rebuild_summaries(since: str, until: str) -> dict[str, int]:
    """`since`/`until`: ISO 8601 timestamps with a time zone."""
    results = summaries_rebuild(
        since=datetime.fromisoformat(since), until=datetime.fromisoformat(until)
    )
    return {r.bucket_size: r.buckets for r in results}


@shared_task(
    name="telemetry.prune_events",
    acks_late=True,
    soft_time_limit=1800,
    time_limit=1900,
    autoretry_for=(Exception,),
    retry_kwargs=_RETRY,
)
def prune_events() -> int:
    return events_prune()
