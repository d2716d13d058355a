"""Plain typed data the evaluation engine works on: no ORM, no request, no clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Reason(StrEnum):
    """Why a flag answered as it did; the names are DESIGN.md's and part of the API."""

    FLAG_NOT_FOUND = "FLAG_NOT_FOUND"
    DISABLED = "DISABLED"
    BLACKLISTED = "BLACKLISTED"
    WHITELISTED = "WHITELISTED"
    OUTSIDE_WINDOW = "OUTSIDE_WINDOW"
    FULL_ROLLOUT = "FULL_ROLLOUT"
    DEFAULT = "DEFAULT"
    NO_SUBJECT = "NO_SUBJECT"
    ROLLOUT = "ROLLOUT"
    OVERRIDE = "OVERRIDE"  # only from flags.testutils.override_flag


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    flag: str
    enabled: bool
    reason: Reason
    version: int

    def __bool__(self) -> bool:
        return self.enabled


@dataclass(frozen=True, slots=True)
class FlagSnapshot:
    """An immutable copy of one flag's configuration, as evaluation needs it.

    Results are built once per snapshot: evaluation returns one of them instead of allocating,
    which keeps the hot path within a few times the cost of a hash.
    """

    name: str
    enabled: bool
    rollout_percentage: int
    rollout_group: str
    whitelist_users: frozenset[str] = frozenset()
    blacklist_users: frozenset[str] = frozenset()
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    version: int = 1
    tags: tuple[str, ...] = ()
    bucket_prefix: str = field(init=False, repr=False, compare=False)
    starts_ts: float | None = field(init=False, repr=False, compare=False)
    ends_ts: float | None = field(init=False, repr=False, compare=False)
    results: Mapping[Reason, EvaluationResult] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        start = self.starts_at.timestamp() if self.starts_at else None
        end = self.ends_at.timestamp() if self.ends_at else None
        object.__setattr__(self, "bucket_prefix", f"{self.rollout_group}:")
        object.__setattr__(self, "starts_ts", start)
        object.__setattr__(self, "ends_ts", end)
        object.__setattr__(self, "results", MappingProxyType(self._build_results()))

    def _build_results(self) -> dict[Reason, EvaluationResult]:
        on = {Reason.WHITELISTED, Reason.FULL_ROLLOUT, Reason.ROLLOUT}
        return {
            reason: EvaluationResult(self.name, reason in on, reason, self.version)
            for reason in Reason
            if reason not in (Reason.FLAG_NOT_FOUND, Reason.OVERRIDE)
        }


@dataclass(frozen=True, slots=True)
class EvaluationContext:
    """Who is asking and when. `now` is seconds since the epoch (UTC), so evaluation is pure."""

    subject: str | None
    now: float
    attributes: Mapping[str, Any] = field(default_factory=dict)
