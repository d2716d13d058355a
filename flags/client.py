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
from flags.types import NO_GROUPS, EvaluationResult, FlagSnapshot, Reason
from flags.user_groups import user_groups

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


def groups_given(value: object) -> frozenset[str]:
    """`groups=` as a caller passes it: a name or a list of names (anything else: none)."""
    if isinstance(value, str):
        return frozenset({value})
    if isinstance(value, list | tuple | set | frozenset):
        return frozenset(item for item in value if isinstance(item, str))
    return NO_GROUPS


def _groups(subject: str | None, user_id: object, request: Any, given: object) -> frozenset[str]:
    """The subject's group names, for a flag with `group:` whitelist entries only.

    `groups=` when the caller passes it; else the Django groups of the user named by `user_id`,
    or of the request's signed-in user (an anonymous visitor has none). No query once warm.
    """
    if given is not None:
        return groups_given(given)
    if subject is None:
        return NO_GROUPS
    if user_id is None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return NO_GROUPS
    return user_groups.get(subject)


def evaluate(
    name: str, user_id: object = None, *, request: Any = None, **attributes: Any
) -> EvaluationResult:
    """Evaluate `name` for a user (or the request's user). Unknown flags are off, never raise.

    `attributes` (tier, email, ...) are accepted for the context; `groups` (a list of group
    names) stands for the user's Django groups in `group:<name>` whitelist entries.
    """
    if overrides and name in overrides:
        return EvaluationResult(name, overrides[name], Reason.OVERRIDE, 0)
    flag = store.snapshots().get(name)
    if flag is None:
        result = not_found(name)
    else:
        subject = _subject(user_id, request)
        groups = (
            _groups(subject, user_id, request, attributes.get("groups"))
            if flag.whitelist_groups  # most flags have none: no lookup at all
            else NO_GROUPS
        )
        result = decide(flag, subject, time.time(), groups)
    analytics.counts[name, result.reason] += 1  # inline: this is the hot path
    return result


def evaluate_snapshot(
    flag: FlagSnapshot, subject: str | None, groups: frozenset[str] = NO_GROUPS
) -> EvaluationResult:
    """`evaluate` for a snapshot the caller already holds (the evaluation lane, which must not
    trigger a store check): overrides, the decision and its count, as `evaluate`."""
    if overrides and flag.name in overrides:
        return EvaluationResult(flag.name, overrides[flag.name], Reason.OVERRIDE, 0)
    result = decide(flag, subject, time.time(), groups)
    analytics.counts[flag.name, result.reason] += 1
    return result


def is_enabled(
    name: str, user_id: object = None, *, request: Any = None, **attributes: Any
) -> bool:
    return evaluate(name, user_id, request=request, **attributes).enabled
