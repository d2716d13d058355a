"""What a plan does at a decision tick, from its gates and its step's dwell: pure, no ORM.

- KILL: the error-rate gate failed beyond its critical threshold (P1): the flag is disabled.
- ROLLBACK: latency or satisfaction failed beyond theirs (P2): back to the previous step, and
  the plan pauses so that a human decides when to try again.
- ADVANCE: the minimum dwell is served and every gate passes.
- PAUSE: the maximum dwell passed without the gates passing (a human must look), or a gate
  failed at the first step (there is no previous step to go back to).
- HOLD: anything else (too little data, a borderline gate, the dwell not served yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from rollout.gates import Gate, Status


class Kind(StrEnum):
    ADVANCE = "advance"
    HOLD = "hold"
    ROLLBACK = "rollback"
    KILL = "kill"
    PAUSE = "pause"


@dataclass(frozen=True)
class StepView:
    position: int
    percentage: int
    min_dwell: timedelta
    max_dwell: timedelta | None


@dataclass(frozen=True)
class Decision:
    kind: Kind
    reason: str
    target: int | None = None  # the step position the plan moves to (advance, rollback)


def decide(*, gates: list[Gate], dwell: timedelta, step: StepView, flag_enabled: bool) -> Decision:
    if not flag_enabled:
        return Decision(Kind.HOLD, "The flag's kill switch is off: nothing to judge.")
    failed = [gate for gate in gates if gate.status == Status.FAIL]
    if any(gate.name == "error_rate" for gate in failed):
        return Decision(Kind.KILL, "Error rate failed: " + _describe(failed))
    if failed:
        if step.position == 0:
            return Decision(Kind.PAUSE, "Failed at the first step: " + _describe(failed))
        return Decision(Kind.ROLLBACK, "Failed: " + _describe(failed), step.position - 1)
    waiting = [gate for gate in gates if gate.status != Status.PASS]
    if not waiting and dwell >= step.min_dwell:
        return Decision(Kind.ADVANCE, "Every gate passed: " + _describe(gates), step.position + 1)
    if step.max_dwell is not None and dwell > step.max_dwell:
        return Decision(Kind.PAUSE, "Maximum dwell passed without every gate passing.")
    if waiting:
        return Decision(Kind.HOLD, "Waiting on: " + _describe(waiting))
    return Decision(Kind.HOLD, f"Gates pass; minimum dwell {step.min_dwell} not served yet.")


def _describe(gates: list[Gate]) -> str:
    return "; ".join(f"{gate.name} {gate.status} ({gate.summary})" for gate in gates)
