"""The gates and the decision, as pure functions over plain figures."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rollout.decisions import Kind, StepView, decide
from rollout.gates import (
    CohortFigures,
    Gate,
    Status,
    Thresholds,
    error_gate,
    evaluate_gates,
    latency_gate,
    satisfaction_gate,
    two_proportion_z,
    wilson,
)

T = Thresholds()


def test_wilson__reference_values() -> None:
    # Wilson's 95 % interval for 0 of 10 and for 5 of 10 (textbook values)
    assert wilson(0, 10, 1.959964) == pytest.approx((0.0, 0.27753), abs=1e-5)
    assert wilson(5, 10, 1.959964) == pytest.approx((0.23659, 0.76341), abs=1e-5)


def test_two_proportion_z__reference_value() -> None:
    # 30/1000 against 7/1000: pooled p = 0.0185, se = sqrt(p (1 - p) 2/1000) = 0.0060262
    assert two_proportion_z(30, 1000, 7, 1000) == pytest.approx(0.023 / 0.0060262, abs=1e-3)
    assert two_proportion_z(0, 0, 1, 10) == 0.0


def _cohort(requests: int, errors: int) -> CohortFigures:
    return CohortFigures(requests=requests, errors=errors)


@pytest.mark.parametrize(
    ("new", "old", "status"),
    [
        ((1000, 5), (1000, 5), Status.PASS),
        ((1000, 9), (1000, 7), Status.PASS),  # 0.9 % vs 0.7 %: under the ceiling, not worse
        ((1000, 14), (1000, 7), Status.HOLD),  # above the ceiling, not confidently
        ((1000, 30), (1000, 7), Status.FAIL),  # the 3 %: confidently above and worse
        ((1000, 30), (1000, 30), Status.HOLD),  # both failing: not the new hub's fault
        ((999, 30), (1000, 7), Status.INSUFFICIENT),
    ],
)
def test_error_gate(new, old, status) -> None:
    assert error_gate(_cohort(*new), _cohort(*old), T).status == status


@pytest.mark.parametrize(
    ("new_p75", "status"), [(105.0, Status.PASS), (130.0, Status.HOLD), (160.0, Status.FAIL)]
)
def test_latency_gate(new_p75: float, status: Status) -> None:
    new = CohortFigures(timed=2000, p75_ms=new_p75)
    old = CohortFigures(timed=2000, p75_ms=100.0)
    assert latency_gate(new, old, T).status == status


@pytest.mark.parametrize(
    ("positive", "answers", "status"),
    [
        (90, 100, Status.PASS),
        (80, 100, Status.HOLD),
        (50, 100, Status.FAIL),
        (5, 5, Status.INSUFFICIENT),
    ],
)
def test_satisfaction_gate(positive: int, answers: int, status: Status) -> None:
    assert satisfaction_gate(CohortFigures(positive=positive, answers=answers), T).status == status


STEP = StepView(position=2, percentage=25, min_dwell=timedelta(days=4), max_dwell=timedelta(days=7))


def _gates(**statuses: Status) -> list[Gate]:
    names = ("samples", "error_rate", "latency", "satisfaction")
    return [Gate(name, statuses.get(name, Status.PASS), "") for name in names]


@pytest.mark.parametrize(
    ("gates", "dwell", "kind", "target"),
    [
        (_gates(), timedelta(days=4), Kind.ADVANCE, 3),
        (_gates(), timedelta(days=1), Kind.HOLD, None),
        (_gates(samples=Status.INSUFFICIENT), timedelta(days=5), Kind.HOLD, None),
        (_gates(samples=Status.INSUFFICIENT), timedelta(days=8), Kind.PAUSE, None),
        (_gates(error_rate=Status.FAIL, latency=Status.FAIL), timedelta(0), Kind.KILL, None),
        (_gates(latency=Status.FAIL), timedelta(0), Kind.ROLLBACK, 1),
        (_gates(satisfaction=Status.FAIL), timedelta(0), Kind.ROLLBACK, 1),
    ],
)
def test_decide(gates, dwell, kind, target) -> None:
    decision = decide(gates=gates, dwell=dwell, step=STEP, flag_enabled=True)
    assert (decision.kind, decision.target) == (kind, target)


def test_decide__failure_at_the_first_step__pauses_and_kill_switch_off__holds() -> None:
    first = StepView(0, 0, timedelta(0), None)
    assert (
        decide(
            gates=_gates(latency=Status.FAIL), dwell=timedelta(0), step=first, flag_enabled=True
        ).kind
        == Kind.PAUSE
    )
    assert (
        decide(gates=_gates(), dwell=timedelta(days=9), step=STEP, flag_enabled=False).kind
        == Kind.HOLD
    )


def test_evaluate_gates__names_in_order() -> None:
    names = [g.name for g in evaluate_gates(CohortFigures(), CohortFigures(), T)]
    assert names == ["samples", "error_rate", "latency", "satisfaction"]
