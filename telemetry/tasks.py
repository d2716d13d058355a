"""Celery tasks: thin wrappers, primitive arguments, one service call each.

acks_late (settings) plus idempotent services: a task that dies mid-run is simply run again.
"""

from __future__ import annotations

from datetime import datetime

from celery import Task, shared_task

from telemetry.aggregation.services import summaries_aggregate_closed, summaries_rebuild
from telemetry.services import events_prune

_RETRY = {"max_retries": 3, "countdown": 10}


@shared_task(
    name="telemetry.aggregate_closed_buckets",
    bind=True,
    acks_late=True,
    soft_time_limit=50,
    time_limit=55,
    autoretry_for=(Exception,),
    retry_kwargs=_RETRY,
)
def aggregate_closed_buckets(self: Task) -> dict[str, int]:
    """A run works off chunks for TELEMETRY_AGGREGATION_RUN_SECONDS; with a backlog left, the
    next run is queued at once (to the same queue) instead of waiting a minute for beat."""
    results = summaries_aggregate_closed()
    if not self.request.is_eager and not all(r.caught_up for r in results):
        # send_task: always through the broker, even where tasks are set to run eagerly.
        queue = (self.request.delivery_info or {}).get("routing_key")
        self.app.send_task(self.name, queue=queue)
    return {r.bucket_size: r.buckets for r in results}


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
