"""The plan services and the decision tick over recorded telemetry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from flags.models import Flag, FlagChange
from flags.services import flag_disable, flag_set_rollout
from rollout import services, ticks
from rollout.decisions import Kind
from rollout.errors import PlanExists, PlanInvalid, PlanStateError, StalePlan
from rollout.models import RolloutPlan
from rollout.template import SEED_PHASES
from rollout.tests.traffic import HUMAN, make_flag, record_feedback, record_requests

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quiet_events")]

STEPS = [
    {"name": "team", "percentage": 0, "min_dwell": timedelta(0), "max_dwell": None},
    {"name": "some", "percentage": 10, "min_dwell": timedelta(minutes=30), "max_dwell": None},
    {"name": "all", "percentage": 100, "min_dwell": timedelta(0), "max_dwell": None},
]


def _plan(now, steps=STEPS, **thresholds) -> RolloutPlan:
    return services.plan_create(
        flag_name="unified_llm_hub", actor=HUMAN, steps=steps, now=now, **thresholds
    )


def _healthy(now, *, new_errors=2, old_errors=2, answers=(25, 2)) -> None:
    start = now - timedelta(minutes=20)
    record_requests("new_hub", requests=1000, errors=new_errors, at=start)
    record_requests("old_pages", requests=1000, errors=old_errors, at=start)
    record_feedback("new_hub", positive=answers[0], negative=answers[1], at=start)


def test_plan_create__from_the_template__has_the_seeds_phases_and_applies_the_first() -> None:
    # given a flag at 5 %
    make_flag(rollout_percentage=5)

    # when a plan is created from the template
    plan = services.plan_create(flag_name="unified_llm_hub", actor=HUMAN)

    # then its steps are the seed's phases, and the flag went to step 1 (0 %) by the schedule
    steps = list(plan.steps.values_list("percentage", "min_dwell", "max_dwell"))
    assert steps == [(s["percentage"], s["min_dwell"], s["max_dwell"]) for s in SEED_PHASES]
    assert [s[0] for s in steps] == [0, 10, 25, 50, 90, 100]
    change = FlagChange.objects.filter(flag_name="unified_llm_hub").first()
    assert (change.source, change.details["decision"]) == ("schedule", "start")
    assert Flag.objects.get().rollout_percentage == 0


def test_plan_create__running_plan__refused() -> None:
    make_flag()
    _plan(timezone.now())
    with pytest.raises(PlanExists):
        _plan(timezone.now())


def test_plan_create__shrinking_percentages__refused_naming_the_step() -> None:
    make_flag()
    steps = [{**STEPS[1]}, {**STEPS[0]}]
    with pytest.raises(PlanInvalid) as caught:
        _plan(timezone.now(), steps=steps)
    assert "steps[1].percentage" in (caught.value.fields or {})
    assert not RolloutPlan.objects.exists()


def test_decide__healthy_cohorts__advances_once_with_the_gate_figures_in_the_change() -> None:
    # given a plan at its first step and a healthy hour of traffic
    make_flag()
    now = timezone.now()
    plan = _plan(now - timedelta(minutes=30), min_requests=1000)
    _healthy(now)

    # when the tick decides, twice at the same time
    first = ticks.plan_decide(plan_id=plan.pk, now=now)
    second = ticks.plan_decide(plan_id=plan.pk, now=now)

    # then it advanced to 10 % once, and the FlagChange carries the figures that justified it
    assert first.kind == Kind.ADVANCE and second is None
    assert Flag.objects.get().rollout_percentage == 10
    change = FlagChange.objects.filter(source="schedule").first()
    assert change.details["decision"] == "advance"
    gates = {g["name"]: g for g in change.details["gates"]}
    assert gates["error_rate"]["figures"]["new_requests"] == 1000
    assert gates["error_rate"]["figures"]["new_errors"] == 2
    assert gates["satisfaction"]["figures"]["answers"] == 27
    assert all(g["status"] == "pass" for g in gates.values())


def test_decide__too_little_traffic__holds_without_changing_the_flag() -> None:
    make_flag()
    now = timezone.now()
    plan = _plan(now - timedelta(minutes=30))
    record_requests("new_hub", requests=50, at=now - timedelta(minutes=10))

    decision = ticks.plan_decide(plan_id=plan.pk, now=now)

    assert decision.kind == Kind.HOLD and "samples insufficient" in decision.reason
    assert not FlagChange.objects.filter(source="schedule", details__decision="hold").exists()
    assert Flag.objects.get().rollout_percentage == 0


def test_decide__new_cohort_erroring__kills_the_flag() -> None:
    make_flag()
    now = timezone.now()
    plan = _plan(now - timedelta(minutes=30))
    _healthy(now, new_errors=40, old_errors=5)

    decision = ticks.plan_decide(plan_id=plan.pk, now=now)

    assert decision.kind == Kind.KILL
    assert Flag.objects.get().enabled is False
    change = FlagChange.objects.filter(source="schedule").first()
    assert (change.action, change.details["decision"]) == ("disable", "kill")
    assert RolloutPlan.objects.get().state == "killed"


def test_decide__unhappy_users__rolls_back_one_step_and_pauses() -> None:
    # given a plan at its second step (10 %) and clearly unhappy answers
    make_flag()
    now = timezone.now()
    plan = _plan(now - timedelta(hours=2))
    services.plan_advance(flag_name="unified_llm_hub", actor=HUMAN, now=now - timedelta(minutes=30))
    _healthy(now, answers=(5, 25))

    decision = ticks.plan_decide(plan_id=plan.pk, now=now)

    assert decision.kind == Kind.ROLLBACK
    assert Flag.objects.get().rollout_percentage == 0
    plan.refresh_from_db()
    assert (plan.state, plan.position) == ("paused", 0)


def test_decide__crash_after_the_flag_write__leaves_nothing_and_the_next_tick_advances_once(
    monkeypatch,
) -> None:
    # given a plan due to advance
    make_flag()
    now = timezone.now()
    plan = _plan(now - timedelta(minutes=30))
    _healthy(now)
    real_save = RolloutPlan.save

    def dying_save(self, *args, **kwargs):
        raise SystemExit("worker killed")

    # when the worker dies after writing the flag, before the plan is saved
    monkeypatch.setattr(RolloutPlan, "save", dying_save)
    with pytest.raises(SystemExit):
        ticks.plan_decide(plan_id=plan.pk, now=now)
    monkeypatch.setattr(RolloutPlan, "save", real_save)

    # then nothing was committed, and the next tick advances exactly once
    assert Flag.objects.get().rollout_percentage == 0
    assert not FlagChange.objects.filter(details__decision="advance").exists()
    assert ticks.plan_decide(plan_id=plan.pk, now=now).kind == Kind.ADVANCE
    assert FlagChange.objects.filter(details__decision="advance").count() == 1
    assert Flag.objects.get().rollout_percentage == 10


def test_manual_change__pauses_the_plan_naming_who(django_capture_on_commit_callbacks) -> None:
    make_flag()
    plan = _plan(timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        flag_set_rollout(name="unified_llm_hub", percentage=40, actor=HUMAN, source="api")
    plan.refresh_from_db()
    assert plan.state == "paused" and "tester changed the flag" in plan.paused_reason


def test_kill_switch__never_blocked__and_the_tick_then_leaves_the_flag_alone() -> None:
    # given an active plan whose gates would advance it
    make_flag()
    now = timezone.now()
    plan = _plan(now - timedelta(minutes=30))
    _healthy(now)

    # when a human flips the kill switch (no receiver: the tick must notice by itself)
    flag_disable(name="unified_llm_hub", actor=HUMAN, source="admin")
    decision = ticks.plan_decide(plan_id=plan.pk, now=now)

    # then the switch stays off and the plan paused instead of advancing
    assert decision.kind == Kind.PAUSE
    flag = Flag.objects.get()
    assert (flag.enabled, flag.rollout_percentage) == (False, 0)
    assert RolloutPlan.objects.get().state == "paused"


def test_pause_resume_advance_abort__states_and_versions() -> None:
    make_flag()
    now = timezone.now()
    plan = _plan(now)
    paused = services.plan_pause(
        flag_name="unified_llm_hub", actor=HUMAN, expected_version=plan.version
    )
    with pytest.raises(PlanStateError):
        services.plan_pause(flag_name="unified_llm_hub", actor=HUMAN)
    with pytest.raises(StalePlan):
        services.plan_resume(
            flag_name="unified_llm_hub", actor=HUMAN, expected_version=plan.version
        )
    services.plan_resume(flag_name="unified_llm_hub", actor=HUMAN, expected_version=paused.version)
    advanced = services.plan_advance(flag_name="unified_llm_hub", actor=HUMAN)
    assert advanced.position == 1 and Flag.objects.get().rollout_percentage == 10
    change = FlagChange.objects.filter(details__decision="advance_now").get()
    assert (change.actor, change.source) == ("tester", "schedule")
    aborted = services.plan_abort(flag_name="unified_llm_hub", actor=HUMAN)
    assert aborted.state == "aborted" and Flag.objects.get().rollout_percentage == 10
    with pytest.raises(PlanStateError):
        services.plan_resume(flag_name="unified_llm_hub", actor=HUMAN)


def test_advance_to_the_last_step__completes_the_plan() -> None:
    make_flag()
    _plan(timezone.now())
    services.plan_advance(flag_name="unified_llm_hub", actor=HUMAN)
    plan = services.plan_advance(flag_name="unified_llm_hub", actor=HUMAN)
    assert (plan.state, Flag.objects.get().rollout_percentage) == ("completed", 100)
