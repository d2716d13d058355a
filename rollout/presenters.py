"""A plan as plain JSON-ready data: the API, `manage.py rollout show` and the admin read it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from rollout.models import RolloutPlan
from rollout.selectors import plan_steps


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


def plan_representation(plan: RolloutPlan) -> dict[str, Any]:
    steps = plan_steps(plan)
    return {
        "flag": plan.flag.name,
        "state": plan.state,
        "version": plan.version,
        "position": plan.position,
        "step_started_at": _iso(plan.step_started_at),
        "next_decision_at": _iso(plan.next_decision_at) if plan.state == "active" else None,
        "paused_reason": plan.paused_reason,
        "steps": [
            {
                "position": step.position,
                "name": step.name,
                "percentage": step.percentage,
                "segments": step.segments,
                "min_dwell_seconds": _seconds(step.min_dwell),
                "max_dwell_seconds": _seconds(step.max_dwell),
                "entered_at": _iso(step.entered_at),
                "current": step.position == plan.position,
            }
            for step in steps
        ],
        "thresholds": {
            "error_ceiling": plan.error_ceiling,
            "confidence": plan.confidence,
            "latency_tolerance": plan.latency_tolerance,
            "latency_critical": plan.latency_critical,
            "satisfaction_min": plan.satisfaction_min,
            "min_requests": plan.min_requests,
            "min_answers": plan.min_answers,
            "window_minutes": plan.window_minutes,
        },
        "cohorts": {"new": plan.new_cohort, "old": plan.old_cohort},
        "last_decision": {
            "decision": plan.last_decision,
            "reason": plan.last_reason,
            "at": _iso(plan.last_evaluated_at),
            "gates": plan.last_gates,
        },
    }
