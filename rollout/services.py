"""Every write to a rollout plan by a person (create, pause, resume, advance, abort, edit)
and the step change the decision tick (rollout.ticks) shares with them.

Each takes the plan's row lock, may name the plan `version` it read (StalePlan otherwise), and
moves the flag through flags.services with source `schedule`, the decision and its figures in
the FlagChange's `details`, and `expected_version`: a human's change to the flag in between
wins. Any other change to the flag pauses the plan (rollout.receivers).
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
from flags.errors import FlagNotFound
from flags.models import Flag, FlagChange
from llmhub.actors import Actor
from rollout.errors import PlanExists, PlanInvalid, PlanNotFound, PlanStateError, StalePlan
from rollout.models import RolloutPlan, RolloutStep
from rollout.selectors import plan_steps
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
            errors[f"steps[{index}].percentage"] = ["Must be from 0 to 100."]
        elif step["percentage"] < previous:
            errors[f"steps[{index}].percentage"] = ["Steps may not lower the percentage."]
        previous = step["percentage"]
        if step["min_dwell"] < timedelta(0):
            errors[f"steps[{index}].min_dwell"] = ["Must not be negative."]
        if step["max_dwell"] is not None and step["max_dwell"] < step["min_dwell"]:
            errors[f"steps[{index}].max_dwell"] = ["Must not be shorter than the minimum dwell."]
    if errors:
        raise PlanInvalid("Invalid plan steps.", errors)
    return list(steps)


def decision_details(plan: RolloutPlan, decision: str, reason: str, **more: Any) -> dict[str, Any]:
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
        enter_step(
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


def enter_step(
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
    details = decision_details(
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
        enter_step(
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
        enter_step(
            plan,
            steps[plan.position + 1],
            now=now,
            actor=actor,
            decision="advance_now",
            reason=reason,
            gates=plan.last_gates,
        )
        complete_if_last(plan, len(steps))
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


def complete_if_last(plan: RolloutPlan, steps: int) -> None:
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
