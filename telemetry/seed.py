"""`seed_test_data`'s telemetry: fourteen days of events and flag evaluation counts, stored in
bulk batches and then aggregated with the telemetry service (the fill state moved to now), so
the dashboard shows them at once.

Deterministic and idempotent (see telemetry.seed_events): a rerun stores nothing new.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar, cast

from django.db import transaction

from llmhub.seeding import SeedRun, Tally
from telemetry.aggregation.services import summaries_aggregate_closed, summaries_rebuild
from telemetry.models import AggregationState, EventSummary, FlagEvaluationCount
from telemetry.seed_events import day_events, new_hub_share, seed_days
from telemetry.services import INSERT_BATCH, events_store

T = TypeVar("T")
TELEMETRY_DAYS = 14
COMMIT_EVERY = 20 * INSERT_BATCH
# Evaluations per hour and flag: (reason, enabled, share of the hour's evaluations).
FLAG_REASONS: dict[str, list[tuple[str, bool, float]]] = {
    "unified_llm_hub": [
        ("ROLLOUT", True, 0.3),
        ("DEFAULT", False, 0.65),
        ("WHITELISTED", True, 0.05),
    ],
    "advanced_analytics": [("ROLLOUT", True, 0.5), ("DEFAULT", False, 0.5)],
    "model_recommendations": [("DISABLED", False, 1.0)],
}


def seed_telemetry(run: SeedRun) -> list[Tally]:
    days = seed_days(run.now.date(), TELEMETRY_DAYS)
    since = datetime.combine(days[0], time.min, tzinfo=UTC)
    # Up to the start of this hour: what has "happened" is the same for every run in the hour.
    cutoff = run.now.replace(minute=0, second=0, microsecond=0)
    per_day = -(-run.events // TELEMETRY_DAYS)  # ceiling: at least --events in full days
    events = _store_events(run, days=days, per_day=per_day, cutoff=cutoff)
    counts = _store_flag_counts(list(_flag_count_rows(days, per_day=per_day, cutoff=cutoff)))
    before = EventSummary.objects.filter(bucket_start__gte=since).count()
    _aggregate(since=since, cutoff=cutoff, now=run.now)
    after = EventSummary.objects.filter(bucket_start__gte=since).count()
    return [events, counts, Tally("event summaries", after - before, before)]


def _aggregate(*, since: datetime, cutoff: datetime, now: datetime) -> None:
    """Summaries of the seeded days, and the fill state moved to now, so the dashboard reads
    summaries up to now and raw events only after (telemetry.selectors).

    Seeded events are stamped as received when they occurred: once a fill state exists, the
    regular run's scan of what was received since would miss them, so their range is
    rebuilt first. Before any run, the regular run aggregates everything anyway.
    """
    if AggregationState.objects.filter(received_until__isnull=False).exists():
        summaries_rebuild(since=since, until=cutoff, now=now)
    summaries_aggregate_closed(now=now)


def _store_events(run: SeedRun, *, days: list[date], per_day: int, cutoff: datetime) -> Tally:
    from telemetry.tests.factories import EventRowFactory  # factory-boy: a dev requirement

    template = cast(dict[str, Any], EventRowFactory())  # every column, blank
    users = ["tester", *run.regular_usernames]
    progress = run.progress("telemetry events", per_day * len(days))
    generated = stored = 0
    # One transaction per COMMIT_EVERY rows: a commit per batch costs a disk sync each.
    for chunk in _batches(_all_events(days, per_day, users, cutoff), COMMIT_EVERY):
        with transaction.atomic():
            for batch in _batches(iter(chunk), INSERT_BATCH):
                stored += events_store(rows=[{**template, **fields} for fields in batch])
                generated += len(batch)
                progress.advance(len(batch))
    progress.finish()
    return Tally("telemetry events", stored, generated - stored)


def _all_events(
    days: list[date], per_day: int, users: list[str], cutoff: datetime
) -> Iterator[dict[str, Any]]:
    for index, day in enumerate(days):
        share = new_hub_share(index, len(days))
        yield from day_events(day, count=per_day, share=share, users=users, cutoff=cutoff)


def _batches(items: Iterator[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _flag_count_rows(
    days: list[date], *, per_day: int, cutoff: datetime
) -> Iterator[FlagEvaluationCount]:
    """One row per flag, reason and hour (at a minute drawn per hour), scaled with --events."""
    for day in days:
        rng = random.Random(f"llmhub-seed-flags:{day.isoformat()}")
        midnight = datetime.combine(day, time.min, tzinfo=UTC)
        for hour in range(24):
            minute = midnight + timedelta(hours=hour, minutes=rng.randrange(60))
            evaluations = max(1, per_day // 24) * rng.randint(2, 4)
            if minute >= cutoff:
                continue
            for flag, reasons in FLAG_REASONS.items():
                for reason, enabled, share in reasons:
                    count = max(1, round(evaluations * share))
                    yield FlagEvaluationCount(
                        bucket_start=minute, flag=flag, reason=reason, enabled=enabled, count=count
                    )


def _store_flag_counts(rows: list[FlagEvaluationCount]) -> Tally:
    """The unique (minute, flag, reason) key skips rows already there."""
    seeded = FlagEvaluationCount.objects.filter(flag__in=FLAG_REASONS)
    before = seeded.count()
    FlagEvaluationCount.objects.bulk_create(rows, batch_size=INSERT_BATCH, ignore_conflicts=True)
    created = seeded.count() - before
    return Tally("flag evaluation counts", created, len(rows) - created)
