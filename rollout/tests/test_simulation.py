"""The plan against synthetic traffic, through the real gate, recording path and decision
service (rollout.simulation), as `manage.py rollout simulate` runs it.

Transactional: the flag store learns the plan's changes on commit, as in production.
"""

from __future__ import annotations

import pytest

from rollout.decisions import Kind
from rollout.simulation import Traffic, simulate

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("quiet_events")]

SETTINGS = {"minutes_per_day": 1.0, "min_requests": 1000, "window_minutes": 15}


def test_simulate__healthy_traffic__reaches_every_step_and_completes() -> None:
    # given equal, healthy cohorts
    traffic = Traffic(
        requests_per_minute=1000, team_share=0.2, new_error_rate=0.005, old_error_rate=0.005
    )

    # when the plan runs
    run = simulate(traffic=traffic, minutes=90, seed=3, **SETTINGS)

    # then it advanced through 10, 25, 50 and 90 % to 100 %, never held back otherwise
    advances = [t.percentage for t in run.ticks if t.decision == Kind.ADVANCE]
    assert advances == [10, 25, 50, 90, 100]
    assert run.outcome == "completed"
    assert not [t for t in run.ticks if t.decision in (Kind.KILL, Kind.ROLLBACK, Kind.PAUSE)]


def test_simulate__new_cohort_at_3_percent_errors__killed_within_two_ticks_of_enough_samples() -> (
    None
):
    # given the new hub failing 3 % of requests, the old pages 0.7 %
    traffic = Traffic(
        requests_per_minute=1000, team_share=0.2, new_error_rate=0.03, old_error_rate=0.007
    )

    # when the plan runs
    run = simulate(traffic=traffic, minutes=60, seed=5, **SETTINGS)

    # then the flag is killed at most one tick after the gate first had enough samples
    enough, killed = run.first_sufficient_tick(), run.tick_of(Kind.KILL)
    assert enough is not None and killed is not None
    assert killed - enough <= 1
    assert run.outcome == "killed"


def test_simulate__new_at_0_8_percent_against_old_0_7__is_not_killed() -> None:
    # given a new hub a little worse than the old pages, but under the 1 % ceiling
    traffic = Traffic(
        requests_per_minute=1000, team_share=0.2, new_error_rate=0.008, old_error_rate=0.007
    )

    # when the plan runs
    run = simulate(traffic=traffic, minutes=120, seed=7, **SETTINGS)

    # then no false alarm: it is neither killed nor rolled back, and it goes on to 100 %
    assert run.tick_of(Kind.KILL) is None and run.tick_of(Kind.ROLLBACK) is None
    assert run.outcome == "completed"
