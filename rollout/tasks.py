"""The decision tick: beat runs it every minute; the service makes it idempotent."""

from __future__ import annotations

from celery import shared_task

from rollout.ticks import plans_decide_due


@shared_task(
    name="rollout.decide_plans",
    acks_late=True,
    soft_time_limit=50,
    time_limit=55,
    autoretry_for=(Exception,),
    retry_kwargs={"max_retries": 3, "countdown": 5},
)
def decide_plans() -> dict[str, str]:
    """A run killed mid-decision committed nothing; a late or doubled run finds nothing due."""
    return {name: str(decision.kind) for name, decision in plans_decide_due()}
