"""Prometheus metrics. With PROMETHEUS_MULTIPROC_DIR set (under gunicorn), every worker writes
its samples to files there and a scrape adds them up, so any worker answers for all of them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REQUESTS = Counter(
    "llmhub_http_requests_total", "HTTP requests by route and status", ["route", "method", "status"]
)
LATENCY = Histogram(
    "llmhub_http_request_duration_seconds",
    "Time to answer a request, by route",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
FLAG_EVALUATIONS = Counter(
    "llmhub_flag_evaluations_total",
    "Flag evaluations by flag, outcome and reason (counted when flushed)",
    ["flag", "outcome", "reason"],
)
EVENTS_INGESTED = Counter(
    "llmhub_telemetry_events_ingested_total",
    "Events accepted by the batch endpoint, new or duplicate",
    ["result"],
)
EVENTS_DROPPED = Counter(
    "llmhub_telemetry_events_dropped_total",
    "Events dropped by a full process buffer (the database too slow or away), by type",
    ["event_type"],
)
RECORDED = Histogram(
    "llmhub_recorded_metric", "Values passed to telemetry.record_metric, by name", ["name"]
)


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route, method).observe(seconds)


def count_flag_evaluations(
    counts: dict[tuple[str, str], int], *, on_reasons: Iterable[str]
) -> None:
    on = set(on_reasons)
    for (flag, reason), n in counts.items():
        FLAG_EVALUATIONS.labels(flag, "on" if reason in on else "off", reason).inc(n)


def count_ingested(*, stored: int, duplicates: int) -> None:
    EVENTS_INGESTED.labels("stored").inc(stored)
    EVENTS_INGESTED.labels("duplicate").inc(duplicates)


def count_dropped(event_type: str) -> None:
    EVENTS_DROPPED.labels(event_type).inc()


class AggregationLagCollector(Collector):
    """Seconds between now and the point up to which events are aggregated, per bucket size.

    Read from the database at scrape time, so it is the same whichever worker answers.
    """

    def collect(self) -> Iterator[GaugeMetricFamily]:
        # Here, not at the top: this module is imported without Django (worker processes that
        # only count, telemetry/tests/test_metrics_multiprocess.py); the collector runs inside it.
        from telemetry.models import AggregationState

        gauge = GaugeMetricFamily(
            "llmhub_telemetry_aggregation_lag_seconds",
            "Age of the newest aggregated events, by bucket size",
            labels=["bucket_size"],
        )
        now = timezone.now()
        for state in AggregationState.objects.exclude(received_until=None):
            assert state.received_until is not None
            lag = (now - state.received_until).total_seconds()
            gauge.add_metric([state.bucket_size], lag)
        yield gauge


def render() -> tuple[bytes, str]:
    """The exposition text of every metric (all workers' in multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    lag = CollectorRegistry(auto_describe=False)
    lag.register(AggregationLagCollector())
    return generate_latest(registry) + generate_latest(lag), CONTENT_TYPE_LATEST
