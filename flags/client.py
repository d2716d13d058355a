"""The public evaluation API behind `flags.is_enabled` and `flags.evaluate`.

The warm path: one monotonic-clock check, one dict lookup, the pure decision. No database query
and no cache round trip (the store checks the revision at most every few hundred milliseconds).
"""

from __future__ import annotations

import time
from typing import Any

from flags import analytics
from flags.evaluation import decide, not_found
from flags.store import store
from flags.types import EvaluationResult, FlagSnapshot, Reason

# Set only by flags.testutils.override_flag: name -> forced answer.
overrides: dict[str, bool] = {}


def subject_from_request(request: Any) -> str | None:
    """The signed-in user's username (what admins type into the lists), else the session key."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return str(user.get_username())
    session = getattr(request, "session", None)
    return getattr(session, "session_key", None) if session is not None else None


def _subject(user_id: object, request: Any) -> str | None:
    if user_id is None:
        return subject_from_request(request) if request is not None else None
    return user_id if isinstance(user_id, str) else str(user_id)


def evaluate(
    name: str, user_id: object = None, *, request: Any = None, **attributes: Any
) -> EvaluationResult:
    """Evaluate `name` for a user (or the request's user). Unknown flags are off, never raise.

    `attributes` (tier, email, ...) are accepted for the context; the current rules do not use them.
    """
    if overrides and name in overrides:
        return EvaluationResult(name, overrides[name], Reason.OVERRIDE, 0)
    flag = store.snapshots().get(name)
    if flag is None:
        result = not_found(name)
    else:
        result = decide(flag, _subject(user_id, request), time.time())
    analytics.counts[name, result.reason] += 1  # inline: this is the hot path
    return result


def evaluate_snapshot(flag: FlagSnapshot, subject: str | None) -> EvaluationResult:
    """`evaluate` for a snapshot the caller already holds (the evaluation lane, which must not
    trigger a store check): overrides, the decision and its count, as `evaluate`."""
    if overrides and flag.name in overrides:
        return EvaluationResult(flag.name, overrides[flag.name], Reason.OVERRIDE, 0)
    result = decide(flag, subject, time.time())
    analytics.counts[flag.name, result.reason] += 1
    return result


def snapshot(name: str) -> FlagSnapshot | None:
    """The process's current snapshot of `name` (no query when warm), for callers that show
    where a rollout stands, e.g. the hub keying its feedback prompt on the rollout step."""
    return store.snapshots().get(name)


def is_enabled(
    name: str, user_id: object = None, *, request: Any = None, **attributes: Any
) -> bool:
    return evaluate(name, user_id, request=request, **attributes).enabled
