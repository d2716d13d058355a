"""Every write to a rollout plan, and the decision tick.

Crash-safe and idempotent by construction: a decision reads the plan under a row lock
(`select_for_update`), acts only when the plan's `next_decision_at` has come, and commits the
flag change (through flags.services, source `schedule`, with the gate figures in `details`)
and the plan's move in one transaction. So two ticks at once serialise on the lock and the
second finds nothing due; a worker killed mid-decision commits nothing and the next tick
decides again from where the plan was. The plan writes the flag with `expected_version`: a
human's change in between wins, and the plan pauses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from flags import services as flag_services
from flags.actors import Actor
from flags.errors import FlagNotFound, StaleVersion
from flags.models import Flag, FlagChange
from rollout.decisions import Decision, Kind, StepView, decide
from rollout.errors import PlanExists, PlanInvalid, PlanNotFound, PlanStateError, StalePlan
from rollout.gates import gates_as_data
from rollout.models import RolloutPlan, RolloutStep
from rollout.selectors import GateReport, plan_gate_report, plan_steps
from rollout.template import SEED_PHASES, StepSpec

SOURCE = FlagChange.Source.SCHEDULE
TICK_ACTOR = Actor.system("rollout plan")
# A tick decides a plan at most this often (ROLLOUT_DECISION_SECONDS, 55): a little under the
# beat's minute, so beat's own jitter never makes it skip every other minute.
DECISION_INTERVAL = timedelta(seconds=settings.ROLLOUT_DECISION_SECONDS)
State = RolloutPlan.State
RUNNING = (State.ACTIVE, State.PAUSED)
THRESHOLD_FIELDS = (
    "error_ceiling",
    "confidence",
    "latency_tolerance",
    "latency_critical",
    "satisfaction_min",
    "min_requests",
    "min_answers",
    "window_minutes",
    "new_cohort",
    "old_cohort",
)


def clean_steps(steps: Sequence[StepSpec]) -> list[StepSpec]:
    """At least two steps, percentages 0..100 that never shrink, min dwell <= max dwell."""
    errors: dict[str, list[str]] = {}
    if len(steps) < 2:
        errors["steps"] = ["A plan needs at least two steps."]
    previous = -1
    for index, step in enumerate(steps):
        if not 0 <= step["percentage"] <= 100:
            errors[f"steps.{index}.percentage"] = ["Must be from 0 to 100."]
        elif step["percentage"] < previous:
            errors[f"steps.{index}.percentage"] = ["Steps may not lower the percentage."]
        previous = step["percentage"]
        if step["min_dwell"] < timedelta(0):
            errors[f"steps.{index}.min_dwell"] = ["Must not be negative."]
        if step["max_dwell"] is not None and step["max_dwell"] < step["min_dwell"]:
            errors[f"steps.{index}.max_dwell"] = ["Must not be shorter than the minimum dwell."]
    if errors:
        raise PlanInvalid("Invalid plan steps.", errors)
    return list(steps)


def _details(plan: RolloutPlan, decision: str, reason: str, **more: Any) -> dict[str, Any]:
    return {
        "plan": plan.pk,
        "plan_version": plan.version,
        "decision": decision,
        "reason": reason,
        **more,
    }


def plan_create(
    *,
    flag_name: str,
    actor: Actor,
    steps: Sequence[StepSpec] | None = None,
    now: datetime | None = None,
    comment: str = "",
    **thresholds: Any,
) -> RolloutPlan:
    """A plan on the flag, from `steps` or the seed's template, started at its first step
    (the flag's percentage set to it; the kill switch is left as it is). A finished plan
    (completed, killed, aborted) is replaced; a running one is refused."""
    now = now or timezone.now()
    specs = clean_steps(steps if steps is not None else SEED_PHASES)
    unknown = set(thresholds) - set(THRESHOLD_FIELDS)
    if unknown:
        raise PlanInvalid("Unknown settings.", {k: ["Unknown setting."] for k in sorted(unknown)})
    with transaction.atomic():
        flag = Flag.objects.select_for_update().filter(name=flag_name).first()
        if flag is None:
            raise FlagNotFound(flag_name)
        old = RolloutPlan.objects.filter(flag=flag).first()
        if old is not None and old.state in RUNNING:
            raise PlanExists(flag_name)
        if old is not None:
            old.delete()
        plan = RolloutPlan(
            flag=flag,
            step_started_at=now,
            next_decision_at=now + DECISION_INTERVAL,
            flag_version=flag.version,
            created_by=actor.label[:200],
            **thresholds,
        )
        _validate(plan)
        plan.save()
        RolloutStep.objects.bulk_create(
            RolloutStep(plan=plan, position=i, **spec) for i, spec in enumerate(specs)
        )
        first = plan.steps.get(position=0)
        _enter(
            plan,
            first,
            now=now,
            actor=actor,
            decision="start",
            reason=f"Plan started. {comment}".strip(),
            gates=[],
        )
        plan.save()
    return plan


def _validate(plan: RolloutPlan) -> None:
    try:
        plan.full_clean(exclude=["flag"])
    except ValidationError as error:
        raise PlanInvalid("Invalid plan settings.", error.message_dict) from None


def _enter(
    plan: RolloutPlan,
    step: RolloutStep,
    *,
    now: datetime,
    actor: Actor,
    decision: str,
    reason: str,
    gates: list[dict[str, Any]],
    window: dict[str, str] | None = None,
) -> None:
    """Move the plan to `step`: the flag's percentage set (one FlagChange, source schedule,
    with the figures), the dwell restarted. Raises StaleVersion if a human changed the flag."""
    details = _details(
        plan,
        decision,
        reason,
        step={"position": step.position, "name": step.name, "percentage": step.percentage},
        gates=gates,
        window=window,
    )
    flag = flag_services.flag_set_rollout(
        name=plan.flag.name,
        percentage=step.percentage,
        actor=actor,
        source=SOURCE,
        expected_version=plan.flag_version,
        comment=f"Rollout plan: {decision} to step {step.position + 1} ({step.name}). {reason}"[
            :2000
        ],
        details=details,
    )
    plan.flag_version = flag.version
    plan.position = step.position
    plan.step_started_at = now
    plan.version += 1
    RolloutStep.objects.filter(pk=step.pk).update(entered_at=now)


def _locked(flag_name: str, expected_version: int | None) -> RolloutPlan:
    plan = (
        RolloutPlan.objects.select_for_update()
        .select_related("flag")
        .filter(flag__name=flag_name)
        .first()
    )
    if plan is None:
        raise PlanNotFound(flag_name)
    if expected_version is not None and expected_version != plan.version:
        raise StalePlan(flag_name, expected_version, plan.version)
    return plan


def plan_pause(
    *, flag_name: str, actor: Actor, comment: str = "", expected_version: int | None = None
) -> RolloutPlan:
    with transaction.atomic():
        plan = _locked(flag_name, expected_version)
        if plan.state != State.ACTIVE:
            raise PlanStateError(f"The plan is {plan.state}: only an active plan can pause.")
        plan.state = State.PAUSED
        plan.paused_reason = f"Paused by {actor.label}. {comment}".strip()
        plan.version += 1
        plan.save()
    return plan


def plan_resume(
    *,
    flag_name: str,
    actor: Actor,
    now: datetime | None = None,
    expected_version: int | None = None,
    comment: str = "",
) -> RolloutPlan:
    """Continue from the current step: the flag is set back to its percentage if someone
    changed it, and the dwell starts again (the cohorts may have changed meanwhile)."""
    now = now or timezone.now()
    with transaction.atomic():
        plan = _locked(flag_name, expected_version)
        if plan.state != State.PAUSED:
            raise PlanStateError(f"The plan is {plan.state}: only a paused plan can resume.")
        plan.flag_version = Flag.objects.get(pk=plan.flag_id).version
        step = plan.steps.get(position=plan.position)
        _enter(
            plan,
            step,
            now=now,
            actor=actor,
            decision="resume",
            reason=f"Resumed. {comment}".strip(),
            gates=[],
        )
        plan.state = State.ACTIVE
        plan.paused_reason = ""
        plan.next_decision_at = now + DECISION_INTERVAL
        plan.save()
    return plan


def plan_advance(
    *,
    flag_name: str,
    actor: Actor,
    now: datetime | None = None,
    expected_version: int | None = None,
    comment: str = "",
) -> RolloutPlan:
    """Advance now, whatever the gates say (a human's call, recorded as theirs)."""
    now = now or timezone.now()
    with transaction.atomic():
        plan = _locked(flag_name, expected_version)
        if plan.state not in RUNNING:
            raise PlanStateError(f"The plan is {plan.state}: it cannot advance.")
        steps = plan_steps(plan)
        if plan.position + 1 >= len(steps):
            raise PlanStateError("The plan is at its last step.")
        plan.flag_version = Flag.objects.get(pk=plan.flag_id).version
        reason = f"Advanced by {actor.label}. {comment}".strip()
        _enter(
            plan,
            steps[plan.position + 1],
            now=now,
            actor=actor,
            decision="advance_now",
            reason=reason,
            gates=plan.last_gates,
        )
        _complete_if_last(plan, len(steps))
        plan.save()
    return plan


def plan_abort(
    *, flag_name: str, actor: Actor, expected_version: int | None = None, comment: str = ""
) -> RolloutPlan:
    """Stop the plan for good; the flag stays exactly as it is (a human owns it now)."""
    with transaction.atomic():
        plan = _locked(flag_name, expected_version)
        if plan.state not in RUNNING:
            raise PlanStateError(f"The plan is {plan.state} already.")
        plan.state = State.ABORTED
        plan.paused_reason = f"Aborted by {actor.label}. {comment}".strip()
        plan.version += 1
        plan.save()
    return plan


def _complete_if_last(plan: RolloutPlan, steps: int) -> None:
    if plan.position == steps - 1:
        plan.state = State.COMPLETED
        plan.paused_reason = ""


def plan_pause_for_change(*, flag_name: str, version: int, actor_label: str) -> int:
    """A human changed the flag (to `version`): a running plan pauses. One conditional
    UPDATE, so it races safely with a tick (which checks the version under its lock)."""
    return RolloutPlan.objects.filter(
        flag__name=flag_name, state=State.ACTIVE, flag_version__lt=version
    ).update(
        state=State.PAUSED,
        paused_reason=f"Paused: {actor_label} changed the flag (version {version}).",
        version=F("version") + 1,
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
        _enter(
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
        _complete_if_last(plan, len(steps))
    elif decision.kind == Kind.KILL:
        details = _details(
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


EDITABLE_STEP_FIELDS = ("name", "percentage", "min_dwell", "max_dwell")


def plan_edit(
    *,
    flag_name: str,
    actor: Actor,
    settings: dict[str, Any],
    steps: dict[int, dict[str, Any]],
    expected_version: int | None = None,
) -> RolloutPlan:
    """Change thresholds and steps (by position: name, percentage, dwell times). The steps as
    they will be are validated whole; nothing changed, nothing written."""
    unknown = set(settings) - set(THRESHOLD_FIELDS)
    if unknown:
        raise PlanInvalid("Unknown settings.", {k: ["Unknown setting."] for k in sorted(unknown)})
    with transaction.atomic():
        plan = _locked(flag_name, expected_version)
        current = {step.position: step for step in plan_steps(plan)}
        merged: list[dict[str, Any]] = [
            {f: getattr(step, f) for f in EDITABLE_STEP_FIELDS} | steps.get(position, {})
            for position, step in current.items()
        ]
        clean_steps(merged)  # type: ignore[arg-type]
        changed = {k: v for k, v in settings.items() if getattr(plan, k) != v}
        for key, value in changed.items():
            setattr(plan, key, value)
        _validate(plan)
        edited = [
            p
            for p, spec in enumerate(merged)
            if any(getattr(current[p], f) != spec[f] for f in EDITABLE_STEP_FIELDS)
        ]
        for position in edited:
            RolloutStep.objects.filter(pk=current[position].pk).update(**merged[position])
        if changed or edited:
            plan.version += 1
            plan.save()
    return plan


# The operations a person may run on a plan (API, admin buttons, command), by name.
PLAN_ACTIONS: dict[str, Callable[..., RolloutPlan]] = {
    "pause": plan_pause,
    "resume": plan_resume,
    "advance": plan_advance,
    "abort": plan_abort,
}
