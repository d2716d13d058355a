"""Reads of plans: the plan itself, and the gate figures of its current step.

Figures come from telemetry's selectors (summaries plus the open tail, feedback through its
own index), never from a scan of every raw event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from rollout.gates import CohortFigures, Gate, Thresholds, evaluate_gates
from rollout.models import RolloutPlan, RolloutStep
from telemetry.cohort_window import cohort_window, feedback_window


@dataclass(frozen=True)
class GateReport:
    since: datetime
    until: datetime
    new: CohortFigures
    old: CohortFigures
    gates: list[Gate]


def plan_for_flag(flag_name: str) -> RolloutPlan | None:
    return RolloutPlan.objects.select_related("flag").filter(flag__name=flag_name).first()


def plan_steps(plan: RolloutPlan) -> list[RolloutStep]:
    return list(plan.steps.order_by("position"))


def plan_thresholds(plan: RolloutPlan) -> Thresholds:
    return Thresholds(
        error_ceiling=plan.error_ceiling,
        confidence=plan.confidence,
        latency_tolerance=plan.latency_tolerance,
        latency_critical=plan.latency_critical,
        satisfaction_min=plan.satisfaction_min,
        min_requests=plan.min_requests,
        min_answers=plan.min_answers,
    )


def plan_gate_report(plan: RolloutPlan, *, now: datetime) -> GateReport:
    """The gates of the current step over the plan's window: the last `window_minutes`, never
    before the step began (the cohorts were different then). Feedback counts since the step
    began (a user is asked at most once per step)."""
    since = max(plan.step_started_at, now - timedelta(minutes=plan.window_minutes))
    cohorts = (plan.new_cohort, plan.old_cohort)
    figures = cohort_window(since=since, until=now, cohorts=cohorts)
    answers = feedback_window(since=plan.step_started_at, until=now, cohorts=cohorts)
    new, old = (
        CohortFigures(
            requests=figures[c].requests,
            errors=figures[c].errors,
            timed=figures[c].timed,
            p75_ms=figures[c].p75_ms,
            positive=answers[c].positive,
            answers=answers[c].answers,
            opt_outs=answers[c].opt_outs,
        )
        for c in cohorts
    )
    return GateReport(since, now, new, old, evaluate_gates(new, old, plan_thresholds(plan)))
