"""The decision tick: every active plan whose decision time has come, decided exactly once.

Crash-safe and idempotent by construction: a decision reads the plan under a row lock
(`select_for_update`), acts only when the plan's `next_decision_at` has come, and commits the
flag change (through flags.services, source `schedule`, with the gate figures in `details`)
and the plan's move in one transaction. So two ticks at once serialise on the lock and the
second finds nothing due; a worker killed mid-decision commits nothing and the next tick
decides again from where the plan was. The plan writes the flag with `expected_version`: a
human's change in between wins, and the plan pauses.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from flags import services as flag_services
from flags.errors import StaleVersion
from flags.models import Flag, FlagChange
from rollout.decisions import Decision, Kind, StepView, decide
from rollout.gates import gates_as_data
from rollout.models import RolloutPlan, RolloutStep
from rollout.selectors import GateReport, plan_gate_report, plan_steps
from rollout.services import (
    DECISION_INTERVAL,
    SOURCE,
    TICK_ACTOR,
    State,
    complete_if_last,
    decision_details,
    enter_step,
)


def plans_decide_due(*, now: datetime | None = None) -> list[tuple[str, Decision]]:
    """The beat's job: decide every active plan whose decision time has come."""
    now = now or timezone.now()
    due = RolloutPlan.objects.filter(state=State.ACTIVE, next_decision_at__lte=now)
    decided = []
    for plan_id, name in due.values_list("pk", "flag__name"):
        decision = plan_decide(plan_id=plan_id, now=now)
        if decision is not None:
            decided.append((name, decision))
    return decided


def plan_decide(*, plan_id: int, now: datetime | None = None) -> Decision | None:
    """One decision for one plan, exactly once per due time (None: not due, or not active)."""
    now = now or timezone.now()
    with transaction.atomic():
        plan = (
            RolloutPlan.objects.select_for_update()
            .select_related("flag")
            .filter(pk=plan_id)
            .first()
        )
        if plan is None or plan.state != State.ACTIVE or plan.next_decision_at > now:
            return None
        flag = Flag.objects.get(pk=plan.flag_id)
        if flag.version != plan.flag_version:
            return _pause_changed(plan, flag, now)
        report = plan_gate_report(plan, now=now)
        steps = plan_steps(plan)
        step = steps[plan.position]
        view = StepView(step.position, step.percentage, step.min_dwell, step.max_dwell)
        decision = decide(
            gates=report.gates,
            dwell=now - plan.step_started_at,
            step=view,
            flag_enabled=flag.enabled,
        )
        try:
            with transaction.atomic():
                _act(plan, decision, report, steps, now)
        except StaleVersion:
            return _pause_changed(plan, Flag.objects.get(pk=plan.flag_id), now)
        plan.last_decision = decision.kind
        plan.last_reason = decision.reason
        plan.last_gates = gates_as_data(report.gates)
        plan.last_evaluated_at = now
        plan.next_decision_at = now + DECISION_INTERVAL
        plan.save()
    return decision


def _window(report: GateReport) -> dict[str, str]:
    return {"since": report.since.isoformat(), "until": report.until.isoformat()}


def _act(
    plan: RolloutPlan,
    decision: Decision,
    report: GateReport,
    steps: list[RolloutStep],
    now: datetime,
) -> None:
    gates = gates_as_data(report.gates)
    if decision.kind in (Kind.ADVANCE, Kind.ROLLBACK):
        assert decision.target is not None
        enter_step(
            plan,
            steps[decision.target],
            now=now,
            actor=TICK_ACTOR,
            decision=decision.kind,
            reason=decision.reason,
            gates=gates,
            window=_window(report),
        )
        if decision.kind == Kind.ROLLBACK:
            plan.state = State.PAUSED
            plan.paused_reason = "Rolled back one step; resume when fixed. " + decision.reason
        complete_if_last(plan, len(steps))
    elif decision.kind == Kind.KILL:
        details = decision_details(
            plan, decision.kind, decision.reason, gates=gates, window=_window(report)
        )
        flag = flag_services.flag_disable(
            name=plan.flag.name,
            actor=TICK_ACTOR,
            source=SOURCE,
            expected_version=plan.flag_version,
            comment=f"Rollout plan: kill. {decision.reason}"[:2000],
            details=details,
        )
        plan.flag_version = flag.version
        plan.state = State.KILLED
        plan.paused_reason = decision.reason
        plan.version += 1
    elif decision.kind == Kind.PAUSE:
        plan.state = State.PAUSED
        plan.paused_reason = decision.reason
        plan.version += 1


def _pause_changed(plan: RolloutPlan, flag: Flag, now: datetime) -> Decision:
    last = FlagChange.objects.filter(flag_name=flag.name).order_by("-version").first()
    who = last.actor if last is not None else "someone"
    decision = Decision(Kind.PAUSE, f"Paused: {who} changed the flag (version {flag.version}).")
    plan.state = State.PAUSED
    plan.paused_reason = decision.reason
    plan.last_decision = decision.kind
    plan.last_reason = decision.reason
    plan.last_evaluated_at = now
    plan.version += 1
    plan.save()
    return decision
