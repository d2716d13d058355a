"""A human always wins: a change to the flag that is not the plan's own pauses its plan."""

from __future__ import annotations

from typing import Any

from rollout.services import plan_pause_for_change


def pause_on_manual_change(sender: Any, change: Any, **kwargs: Any) -> None:
    if (change.details or {}).get("plan") is not None:
        return  # the plan's own decision (or a human's plan action, already recorded)
    plan_pause_for_change(
        flag_name=change.flag_name, version=change.version, actor_label=change.actor
    )
