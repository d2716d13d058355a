"""Flag evaluation analytics: counted in process, stored in bulk, never a write per evaluation."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

import flags
from flags.services import flag_create
from llmhub.actors import Actor
from telemetry.flag_counts import flag_counts_flush
from telemetry.models import FlagEvaluationCount

pytestmark = pytest.mark.django_db


def _totals() -> dict[tuple[str, str, bool], int]:
    return {(c.flag, c.reason, c.enabled): c.count for c in FlagEvaluationCount.objects.all()}


def test_flag_counts__evaluations__are_counted_without_queries_then_flushed() -> None:
    # given a flag that is on for everyone, and a warm store
    flag_create(
        name="hub",
        actor=Actor.system("test"),
        source="command",
        enabled=True,
        rollout_percentage=100,
    )
    flags.is_enabled("hub", "warm-up")
    flag_counts_flush()
    FlagEvaluationCount.objects.all().delete()
    # when evaluating many times
    with CaptureQueriesContext(connection) as queries:
        for i in range(1000):
            flags.is_enabled("hub", f"user{i}")
            flags.is_enabled("missing", f"user{i}")
    assert len(queries) == 0
    # then one flush stores the sums
    assert flag_counts_flush() == 2000
    assert _totals() == {
        ("hub", "FULL_ROLLOUT", True): 1000,
        ("missing", "FLAG_NOT_FOUND", False): 1000,
    }


def test_flag_counts__second_flush_in_the_same_minute__adds_up() -> None:
    for _ in range(3):
        flags.is_enabled("missing", "ann")
        flag_counts_flush()
    assert _totals() == {("missing", "FLAG_NOT_FOUND", False): 3}


def test_flag_counts__database_refuses__counts_are_kept_for_the_next_flush(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from telemetry import flag_counts

    flags.is_enabled("missing", "ann")
    monkeypatch.setattr(flag_counts, "_upsert_sql", lambda: "INSERT INTO no_such_table VALUES (1)")
    assert flag_counts_flush() == 0
    monkeypatch.undo()
    flags.is_enabled("missing", "bob")
    assert flag_counts_flush() == 2
    assert _totals() == {("missing", "FLAG_NOT_FOUND", False): 2}
