"""Reads behind the rollout's health gates: per cohort, over one time window, the figures the
gates judge (requests, server errors, p75 latency, feedback answers, "back to the old pages").

Cheap enough to run every minute over a busy hour: the aggregated part of the window comes from
minute summary rows (one row per minute and combination of dimensions, never the raw events),
only the tail the aggregation has not reached yet is read raw through the aggregation's own
SELECT (the same rules for server errors), and feedback rows are found through their own
partial index. The rules are the dashboard's: server errors over requests (page views and API
calls), latency over page loads and API calls (LATENCY_TYPES).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from telemetry.aggregation.sql import LATENCY_TYPES, MINUTE, SUMMARY_COLUMNS, Dialect
from telemetry.models import Event, EventSummary, EventType
from telemetry.selectors import aggregation_frontier

REQUEST_TYPES = ("page_view", "api_call")


@dataclass
class CohortWindow:
    """One cohort's figures over a window. `p75_ms` is the count-weighted mean of the p75 of
    each minute (exact within a minute; across minutes an estimate, see docs/ROLLOUT.md)."""

    requests: int = 0
    errors: int = 0
    timed: int = 0
    p75_weighted: float = 0.0

    @property
    def p75_ms(self) -> float | None:
        return self.p75_weighted / self.timed if self.timed else None

    def add(self, row: Mapping[str, Any]) -> None:
        self.errors += row["errors"]
        if row["event_type"] in REQUEST_TYPES:
            self.requests += row["count"]
        if row["event_type"] in LATENCY_TYPES and row["p75_ms"] is not None:
            self.timed += row["count"]
            self.p75_weighted += row["count"] * row["p75_ms"]


@dataclass(frozen=True)
class Feedback:
    positive: int = 0
    answers: int = 0
    opt_outs: int = 0


def cohort_window(
    *, since: datetime, until: datetime, cohorts: Iterable[str]
) -> dict[str, CohortWindow]:
    """Figures per cohort for events that occurred in [since, until): minute summaries for
    the whole minutes the aggregation has reached, raw events for the rest (the part minute
    before them, and the tail after its frontier)."""
    names = list(cohorts)
    figures = {name: CohortWindow() for name in names}
    start = min(MINUTE.ceil(since), until)
    frontier = aggregation_frontier().minutes_until
    summarised_until = max(start, min(until, frontier)) if frontier is not None else start
    rows = EventSummary.objects.filter(
        bucket_size="minute",
        bucket_start__gte=start,
        bucket_start__lt=summarised_until,
        cohort__in=names,
    ).values("event_type", "cohort", "count", "errors", "p75_ms")
    if summarised_until == start:  # no summary used: the whole window is read raw
        start = summarised_until = since
    ranges = [(since, start), (summarised_until, until)]
    for row in [*rows, *_raw_rows([r for r in ranges if r[0] < r[1]], names)]:
        figures[row["cohort"]].add(row)
    return figures


def _raw_rows(ranges: list[tuple[datetime, datetime]], cohorts: list[str]) -> list[dict[str, Any]]:
    if not ranges:
        return []
    dialect = Dialect(connection)
    marks = ", ".join(["%s"] * len(cohorts))
    within = " OR ".join(["(occurred_at >= %s AND occurred_at < %s)"] * len(ranges))
    sql = dialect.select_sql(MINUTE, f"({within}) AND cohort IN ({marks})")
    params: list[Any] = ["minute", dialect.param(timezone.now())]
    for low, high in ranges:
        params += [dialect.param(low), dialect.param(high)]
    names = [column.strip() for column in SUMMARY_COLUMNS.split(",")]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *cohorts])
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def feedback_window(
    *, since: datetime, until: datetime, cohorts: Iterable[str]
) -> dict[str, Feedback]:
    """Per cohort: feedback answers (`positive` true or not) and "back to the old pages" clicks
    in [since, until). Human-scale rows, found through their partial index."""
    names = list(cohorts)
    counts = {name: [0, 0, 0] for name in names}
    rows = Event.objects.filter(
        event_type__in=[EventType.FEEDBACK, EventType.HUB_OPT_OUT],
        occurred_at__gte=since,
        occurred_at__lt=until,
        cohort__in=names,
    ).values_list("event_type", "cohort", "properties")
    for event_type, cohort, properties in rows:
        entry = counts[cohort]
        if event_type == EventType.HUB_OPT_OUT:
            entry[2] += 1
        else:
            entry[1] += 1
            entry[0] += 1 if (properties or {}).get("positive") is True else 0
    return {name: Feedback(*entry) for name, entry in counts.items()}
