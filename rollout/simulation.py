"""Drive a plan against synthetic traffic on a compressed clock, through the real parts.

Each tick is one simulated minute: `requests_per_minute` requests from a user population, each
user put in a cohort by the real flag evaluation (`flags.is_enabled`), each request recorded as
a `page_view` (status 500 at the cohort's error rate, a log-normal duration around the cohort's
latency) through telemetry's real recording path and buffer, a share of the new cohort
answering the feedback prompt; then the real decision service decides the plan at the tick's
time. A day of the plan's dwell times lasts `minutes_per_day` simulated minutes.

The simulated clock starts at the real time and runs ahead of it, so the gates read these
events as the open tail (the aggregation has not reached them): the figures follow exactly
the aggregation's rules (telemetry.cohort_window). A throwaway flag and cohort names keep the
synthetic traffic out of every real figure; `cleanup` removes the events and the flag.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

import flags
from flags import services as flag_services
from llmhub.actors import Actor
from rollout.decisions import Kind
from rollout.gates import Status
from rollout.models import RolloutPlan
from rollout.services import plan_create
from rollout.template import SEED_PHASES, StepSpec
from rollout.ticks import plan_decide
from telemetry.buffer import process_buffer
from telemetry.models import Event
from telemetry.recording import record_event

ACTOR = Actor.command("rollout simulate")


@dataclass(frozen=True)
class Traffic:
    requests_per_minute: int = 2000
    users: int = 20_000
    team_share: float = 0.1  # whitelisted users: the new cohort of the first (0 %) step
    new_error_rate: float = 0.005
    old_error_rate: float = 0.005
    new_latency_ms: float = 200.0
    old_latency_ms: float = 200.0
    satisfaction: float = 0.9  # share of positive answers
    feedback_share: float = 0.05  # share of new-cohort requests followed by an answer


@dataclass(frozen=True)
class Tick:
    number: int
    at: datetime
    percentage: int
    decision: str
    reason: str
    samples_ok: bool
    new_requests: int
    old_requests: int
    new_error_rate: float | None
    old_error_rate: float | None


@dataclass
class Run:
    flag_name: str
    new_cohort: str
    old_cohort: str
    ticks: list[Tick] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        return RolloutPlan.objects.get(flag__name=self.flag_name).state

    def first_sufficient_tick(self) -> int | None:
        return next((t.number for t in self.ticks if t.samples_ok), None)

    def tick_of(self, kind: Kind) -> int | None:
        return next((t.number for t in self.ticks if t.decision == kind), None)


def scaled_template(minutes_per_day: float) -> list[StepSpec]:
    def scale(value: timedelta | None) -> timedelta | None:
        return (
            None
            if value is None
            else timedelta(minutes=value / timedelta(days=1) * minutes_per_day)
        )

    return [
        {
            **step,
            "min_dwell": scale(step["min_dwell"]) or timedelta(0),
            "max_dwell": scale(step["max_dwell"]),
        }
        for step in SEED_PHASES
    ]


def start(
    *,
    traffic: Traffic,
    minutes_per_day: float,
    seed: int,
    now: datetime | None = None,
    **thresholds: Any,
) -> tuple[Run, random.Random, datetime]:
    """A throwaway flag (on, its team whitelisted) with a plan from the scaled template."""
    rng = random.Random(seed)
    tag = uuid.uuid4().hex[:10]
    run = Run(f"rollout-sim-{tag}", f"sim-{tag}-new", f"sim-{tag}-old")
    team = [f"u{i}" for i in range(int(traffic.users * traffic.team_share))]
    flag_services.flag_create(
        name=run.flag_name, actor=ACTOR, source="command", enabled=True, whitelist_users=team
    )
    now = now or timezone.now()
    plan_create(
        flag_name=run.flag_name,
        actor=ACTOR,
        steps=scaled_template(minutes_per_day),
        now=now,
        new_cohort=run.new_cohort,
        old_cohort=run.old_cohort,
        **thresholds,
    )
    return run, rng, now


def simulate(
    *,
    traffic: Traffic,
    minutes: int,
    minutes_per_day: float = 1.0,
    seed: int = 1,
    change_at: int | None = None,
    changed: Traffic | None = None,
    on_tick: Callable[[Tick], None] | None = None,
    **thresholds: Any,
) -> Run:
    """Run up to `minutes` ticks, or until the plan stops being active. From tick `change_at`
    on, `changed` traffic replaces `traffic` (an injected failure)."""
    run, rng, clock = start(
        traffic=traffic, minutes_per_day=minutes_per_day, seed=seed, **thresholds
    )
    plan_id = RolloutPlan.objects.get(flag__name=run.flag_name).pk
    for number in range(1, minutes + 1):
        current = (
            changed
            if changed is not None and change_at is not None and number >= change_at
            else traffic
        )
        send_minute(run, current, rng, clock)
        clock += timedelta(minutes=1)
        run.ticks.append(_decide(plan_id, number, clock))
        if on_tick is not None:
            on_tick(run.ticks[-1])
        if (
            run.ticks[-1].decision in (Kind.KILL, Kind.ROLLBACK, Kind.PAUSE)
            or run.outcome != "active"
        ):
            break
    return run


def send_minute(run: Run, traffic: Traffic, rng: random.Random, start_at: datetime) -> None:
    """One simulated minute of requests, recorded as the hub records them, then flushed."""
    step = 60.0 / traffic.requests_per_minute
    for i in range(traffic.requests_per_minute):
        user = f"u{rng.randrange(traffic.users)}"
        on = flags.is_enabled(run.flag_name, user)
        at = start_at + timedelta(seconds=i * step)
        rate, latency = (
            (traffic.new_error_rate, traffic.new_latency_ms)
            if on
            else (traffic.old_error_rate, traffic.old_latency_ms)
        )
        record_event(
            "page_view",
            deferred=True,
            user_id=user,
            cohort=run.new_cohort if on else run.old_cohort,
            flag=run.flag_name,
            page="simulated",
            occurred_at=at,
            status=500 if rng.random() < rate else 200,
            duration_ms=rng.lognormvariate(math.log(latency), 0.4),
        )
        if on and rng.random() < traffic.feedback_share:
            record_event(
                "feedback",
                deferred=True,
                user_id=user,
                cohort=run.new_cohort,
                flag=run.flag_name,
                occurred_at=at,
                properties={"positive": rng.random() < traffic.satisfaction},
            )
    process_buffer.flush()


def _decide(plan_id: int, number: int, now: datetime) -> Tick:
    decision = plan_decide(plan_id=plan_id, now=now)
    plan = RolloutPlan.objects.select_related("flag").get(pk=plan_id)
    gates = {gate["name"]: gate for gate in plan.last_gates}
    errors = gates.get("error_rate", {}).get("figures", {})
    samples = gates.get("samples", {})
    return Tick(
        number=number,
        at=now,
        percentage=plan.flag.rollout_percentage if plan.flag.enabled else 0,
        decision=str(decision.kind) if decision is not None else "",
        reason=decision.reason if decision is not None else "",
        samples_ok=samples.get("status") == Status.PASS,
        new_requests=errors.get("new_requests", 0),
        old_requests=errors.get("old_requests", 0),
        new_error_rate=errors.get("new_rate"),
        old_error_rate=errors.get("old_rate"),
    )


def cleanup(run: Run) -> None:
    """Remove the synthetic events and the throwaway flag (its plan goes with it; the audit
    trail of its changes stays, as every flag's does)."""
    Event.objects.filter(cohort__in=[run.new_cohort, run.old_cohort]).delete()
    flag_services.flag_delete(
        name=run.flag_name, actor=ACTOR, source="command", comment="simulation over"
    )


def with_failure(traffic: Traffic, *, new_error_rate: float) -> Traffic:
    return replace(traffic, new_error_rate=new_error_rate)


def tick_line(tick: Tick) -> str:
    rates = f"errors {_pct(tick.new_error_rate)} new / {_pct(tick.old_error_rate)} old"
    return (
        f"minute {tick.number:>4}  {tick.percentage:>3} %  {tick.decision or '-':<8} "
        f"{tick.new_requests:>6} new / {tick.old_requests:>6} old requests, {rates}"
        + (f"  {tick.reason}" if tick.decision not in ("hold", "") else "")
    )


def summary_line(run: Run) -> str:
    last = run.ticks[-1] if run.ticks else None
    where = f" at {last.percentage} % after {last.number} minutes" if last else ""
    return f"Outcome: plan {run.outcome}{where}."


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2%}"
