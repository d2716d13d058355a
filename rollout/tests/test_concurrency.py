"""Two beats at once (or a retried task racing its original) never advance twice or skip a
step: real threads, each with its own PostgreSQL connection, decide the same plan at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from flags.models import Flag, FlagChange
from rollout import services, ticks
from rollout.models import RolloutPlan
from rollout.tests.traffic import HUMAN, make_flag, record_feedback, record_requests

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("quiet_events"),
]

STEPS = [
    {"name": f"step {p}", "percentage": p, "min_dwell": timedelta(0), "max_dwell": None}
    for p in (0, 10, 50, 100)
]


def _decide_at_once(plan_id: int, now, threads: int) -> list[object]:
    barrier = threading.Barrier(threads)
    results: list[object] = []

    def tick() -> None:
        try:
            barrier.wait()
            results.append(ticks.plan_decide(plan_id=plan_id, now=now))
        except Exception as error:  # noqa: BLE001 (collected, so the test shows it)
            results.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=tick) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    return results


def test_decide__six_ticks_at_once_per_round__one_advance_per_round_none_skipped() -> None:
    make_flag()
    start = timezone.now()
    plan = services.plan_create(flag_name="unified_llm_hub", actor=HUMAN, steps=STEPS, now=start)
    now = start
    for round_number in range(1, 4):
        # given a healthy window of traffic since the step began
        record_requests("new_hub", requests=1000, errors=1, at=now, spread=timedelta(minutes=1))
        record_requests("old_pages", requests=1000, errors=1, at=now, spread=timedelta(minutes=1))
        record_feedback("new_hub", positive=30, negative=0, at=now)
        now = now + timedelta(minutes=2)

        # when six ticks decide the plan at the same moment
        results = _decide_at_once(plan.pk, now, threads=6)

        # then exactly one decided (an advance), the others found nothing due
        kinds = [getattr(r, "kind", r) for r in results]
        assert sorted(map(str, kinds)) == ["None"] * 5 + ["advance"], kinds
        plan.refresh_from_db()
        assert (plan.position, plan.state) == (
            round_number,
            "active" if round_number < 3 else "completed",
        )
    percentages = list(
        FlagChange.objects.filter(details__decision="advance")
        .order_by("version")
        .values_list("after__rollout_percentage", flat=True)
    )
    assert percentages == [10, 50, 100]
    assert Flag.objects.get().rollout_percentage == 100
    assert RolloutPlan.objects.get().version == plan.version
