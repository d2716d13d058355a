"""Errors the plan services raise; the API, admin and command map them to their shapes."""

from __future__ import annotations


class RolloutError(Exception):
    """A refused plan operation. `code` is stable and machine-readable; `status` its HTTP code."""

    code = "rollout_error"
    status = 400

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


class PlanInvalid(RolloutError):
    code = "invalid"
    status = 400


class PlanNotFound(RolloutError):
    code = "not_found"
    status = 404

    def __init__(self, flag_name: str) -> None:
        super().__init__(f"Flag {flag_name!r} has no rollout plan.")


class PlanExists(RolloutError):
    code = "conflict"
    status = 409

    def __init__(self, flag_name: str) -> None:
        super().__init__(f"Flag {flag_name!r} already has a running rollout plan: abort it first.")


class PlanStateError(RolloutError):
    code = "invalid_state"
    status = 409


class StalePlan(RolloutError):
    code = "stale_version"
    status = 412

    def __init__(self, flag_name: str, expected: int, current: int) -> None:
        super().__init__(
            f"The plan of {flag_name!r} changed since version {expected}: it is now at "
            f"version {current}. Reload and try again."
        )
