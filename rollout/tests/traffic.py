"""Recorded cohort traffic for the rollout tests: events through telemetry's real recording
path and buffer, at chosen times."""

from __future__ import annotations

from datetime import datetime, timedelta

from flags.models import Flag
from flags.services import flag_create
from llmhub.actors import Actor
from telemetry.buffer import process_buffer
from telemetry.recording import record_event

HUMAN = Actor.system("tester")


def make_flag(name: str = "unified_llm_hub", **config: object) -> Flag:
    return flag_create(name=name, actor=HUMAN, source="command", enabled=True, **config)


def record_requests(
    cohort: str,
    *,
    requests: int,
    errors: int = 0,
    at: datetime,
    spread: timedelta = timedelta(minutes=10),
    latency_ms: float = 200.0,
) -> None:
    """`requests` page views of the cohort, `errors` of them answered 500, spread evenly
    over `spread` from `at`."""
    for i in range(requests):
        record_event(
            "page_view",
            deferred=True,
            user_id=f"{cohort}-{i}",
            cohort=cohort,
            page="providers",
            occurred_at=at + spread * i / requests,
            status=500 if i < errors else 200,
            duration_ms=latency_ms + (i % 10),
        )
    process_buffer.flush()


def record_feedback(cohort: str, *, positive: int, negative: int, at: datetime) -> None:
    for i in range(positive + negative):
        record_event(
            "feedback",
            deferred=True,
            user_id=f"{cohort}-fb-{i}",
            cohort=cohort,
            occurred_at=at + timedelta(seconds=i),
            properties={"positive": i < positive},
        )
    process_buffer.flush()
