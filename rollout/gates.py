"""The health gates of a rollout step: pure functions over plain figures (no ORM, no clock).

Two cohorts over the same window: `new` (users the flag turned on: the new hub) and `old`
(users it left off: the old pages). Each gate answers one of:

- PASS: healthy by its criterion;
- INSUFFICIENT: too little data to judge (holds the step);
- HOLD: borderline, neither healthy nor failed beyond its critical threshold;
- FAIL: failed beyond its critical threshold (the plan rolls back or kills, see decisions.py).

The criteria are those of docs/ROLLBACK_PLAN.md section 3 (the two documents say the same):
error rate (P1 -> kill), latency and satisfaction (P2 -> roll back one step).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from statistics import NormalDist
from typing import Any


class Status(StrEnum):
    PASS = "pass"
    INSUFFICIENT = "insufficient"
    HOLD = "hold"
    FAIL = "fail"


@dataclass(frozen=True)
class Thresholds:
    error_ceiling: float = 0.01  # the seed's success criterion: error rate < 1 %
    confidence: float = 0.99  # of the Wilson bound and the two-proportion test (one-sided)
    latency_tolerance: float = 0.10  # new p75 within 10 % of old
    latency_critical: float = 0.50  # new p75 more than 50 % over old: roll back
    satisfaction_min: float = 0.80  # more than 80 % positive answers
    min_requests: int = 1000  # per cohort and window, before any gate may pass
    min_answers: int = 20  # feedback answers in the new cohort, for the satisfaction gate

    @property
    def z(self) -> float:
        return NormalDist().inv_cdf(self.confidence)


@dataclass(frozen=True)
class CohortFigures:
    requests: int = 0
    errors: int = 0
    timed: int = 0
    p75_ms: float | None = None
    positive: int = 0
    answers: int = 0
    opt_outs: int = 0

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests else None


@dataclass(frozen=True)
class Gate:
    name: str
    status: Status
    summary: str
    figures: dict[str, Any] = field(default_factory=dict)


def wilson(successes: int, trials: int, z: float) -> tuple[float, float]:
    """Wilson score interval of a proportion: sound near 0 % and at small samples."""
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    spread = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - spread), min(1.0, centre + spread)


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> float:
    """z of the pooled two-proportion test of p1 > p2 (0 when undefined)."""
    if n1 == 0 or n2 == 0:
        return 0.0
    pooled = (x1 + x2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return (x1 / n1 - x2 / n2) / spread if spread else 0.0


def sample_gate(new: CohortFigures, old: CohortFigures, t: Thresholds) -> Gate:
    enough = new.requests >= t.min_requests and old.requests >= t.min_requests
    return Gate(
        "samples",
        Status.PASS if enough else Status.INSUFFICIENT,
        f"{new.requests} new / {old.requests} old requests (minimum {t.min_requests} each)",
        {"new_requests": new.requests, "old_requests": old.requests, "minimum": t.min_requests},
    )


def error_gate(new: CohortFigures, old: CohortFigures, t: Thresholds) -> Gate:
    """Pass: the new rate at most the ceiling and not significantly worse than old.
    Fail: above the ceiling with confidence (Wilson lower bound) and significantly worse."""
    z = two_proportion_z(new.errors, new.requests, old.errors, old.requests)
    low, high = wilson(new.errors, new.requests, t.z)
    figures = {
        "new_rate": _round(new.error_rate),
        "old_rate": _round(old.error_rate),
        "new_errors": new.errors,
        "new_requests": new.requests,
        "old_errors": old.errors,
        "old_requests": old.requests,
        "new_rate_interval": [_round(low), _round(high)],
        "z": round(z, 3),
        "z_critical": round(t.z, 3),
        "ceiling": t.error_ceiling,
    }
    rate = (
        f"{_pct(new.error_rate)} new vs {_pct(old.error_rate)} old "
        f"(ceiling {_pct(t.error_ceiling)})"
    )
    if new.requests < t.min_requests or old.requests < t.min_requests:
        return Gate("error_rate", Status.INSUFFICIENT, rate, figures)
    worse = z > t.z
    if low > t.error_ceiling and worse:
        return Gate("error_rate", Status.FAIL, rate + ": above the ceiling and worse", figures)
    if (new.error_rate or 0.0) <= t.error_ceiling and not worse:
        return Gate("error_rate", Status.PASS, rate, figures)
    return Gate("error_rate", Status.HOLD, rate + ": borderline", figures)


def latency_gate(new: CohortFigures, old: CohortFigures, t: Thresholds) -> Gate:
    figures = {
        "new_p75_ms": _round(new.p75_ms, 1),
        "old_p75_ms": _round(old.p75_ms, 1),
        "new_timed": new.timed,
        "old_timed": old.timed,
        "tolerance": t.latency_tolerance,
        "critical": t.latency_critical,
    }
    if new.p75_ms is None or old.p75_ms is None or min(new.timed, old.timed) < t.min_requests:
        return Gate("latency", Status.INSUFFICIENT, "p75: not enough timed requests", figures)
    ratio = new.p75_ms / old.p75_ms if old.p75_ms > 0 else 1.0
    figures["ratio"] = round(ratio, 3)
    text = f"p75 {new.p75_ms:.0f} ms new vs {old.p75_ms:.0f} ms old ({ratio - 1:+.0%})"
    if ratio <= 1 + t.latency_tolerance:
        return Gate("latency", Status.PASS, text, figures)
    if ratio > 1 + t.latency_critical:
        return Gate("latency", Status.FAIL, text + ": far slower", figures)
    return Gate("latency", Status.HOLD, text + ": slower than allowed", figures)


def satisfaction_gate(new: CohortFigures, t: Thresholds) -> Gate:
    """Pass: more than the minimum share positive. Fail: below it with confidence (Wilson
    upper bound). "Back to the old pages" clicks are shown beside it (a strong signal)."""
    low, high = wilson(new.positive, new.answers, t.z)
    share = new.positive / new.answers if new.answers else None
    figures = {
        "positive": new.positive,
        "answers": new.answers,
        "share": _round(share),
        "share_interval": [_round(low), _round(high)],
        "minimum": t.satisfaction_min,
        "back_to_old_pages": new.opt_outs,
    }
    text = f"{_pct(share)} positive of {new.answers} answers; {new.opt_outs} back to old pages"
    if t.min_answers == 0 and new.answers == 0:
        return Gate("satisfaction", Status.PASS, "not required (no minimum of answers)", figures)
    if new.answers < t.min_answers:
        return Gate("satisfaction", Status.INSUFFICIENT, text, figures)
    if high < t.satisfaction_min:
        return Gate("satisfaction", Status.FAIL, text + ": clearly unhappy", figures)
    if share is not None and share > t.satisfaction_min:
        return Gate("satisfaction", Status.PASS, text, figures)
    return Gate("satisfaction", Status.HOLD, text + ": borderline", figures)


def evaluate_gates(new: CohortFigures, old: CohortFigures, t: Thresholds) -> list[Gate]:
    return [
        sample_gate(new, old, t),
        error_gate(new, old, t),
        latency_gate(new, old, t),
        satisfaction_gate(new, t),
    ]


def gates_as_data(gates: list[Gate]) -> list[dict[str, Any]]:
    return [{**asdict(gate), "status": str(gate.status)} for gate in gates]


def _round(value: float | None, digits: int = 5) -> float | None:
    return None if value is None else round(value, digits)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2%}"
