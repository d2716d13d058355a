"""Pure flag evaluation, in DESIGN.md's normative order.

No ORM, no cache, no request and no clock: a frozen snapshot and a context in, a result with its
reason out. The first rule that decides wins.
"""

from __future__ import annotations

import mmh3

from flags.types import NO_GROUPS, EvaluationContext, EvaluationResult, FlagSnapshot, Reason

_hash = mmh3.hash


def bucket(group: str, subject: str) -> int:
    """Unleash's normalizedHash: 1..100, stable per (group, subject).

    MurmurHash3 x86 32-bit of the UTF-8 bytes of "group:subject", seed 0, unsigned, mod 100, +1.
    The same user lands in the same cohort as under Unleash.
    """
    return mmh3.hash(f"{group}:{subject}", 0, False) % 100 + 1


def not_found(name: str) -> EvaluationResult:
    return EvaluationResult(name, False, Reason.FLAG_NOT_FOUND, 0)


def evaluate(
    flag: FlagSnapshot | None, context: EvaluationContext, *, name: str = ""
) -> EvaluationResult:
    """Evaluate one flag for one context. `flag` is None when no flag called `name` exists."""
    if flag is None:
        return not_found(name)
    groups = context.attributes.get("groups") or NO_GROUPS
    return decide(flag, context.subject, context.now, frozenset(groups))


def decide(
    flag: FlagSnapshot, subject: str | None, now: float, groups: frozenset[str] = NO_GROUPS
) -> EvaluationResult:
    """The evaluation order itself; `evaluate` and the warm path in `flags.api` both call it.

    `groups` are the subject's group names: a whitelist entry `group:<name>` lets members in
    (after the blacklist, like a whitelisted user id).
    """
    results = flag.results
    if not flag.enabled:
        return results[Reason.DISABLED]
    if subject is not None:
        if subject in flag.blacklist_users:
            return results[Reason.BLACKLISTED]
        if subject in flag.whitelist_users:
            return results[Reason.WHITELISTED]
        if flag.whitelist_groups and not flag.whitelist_groups.isdisjoint(groups):
            return results[Reason.WHITELISTED]
    # Start inclusive, end exclusive: a window [start, end).
    if (flag.starts_ts is not None and now < flag.starts_ts) or (
        flag.ends_ts is not None and now >= flag.ends_ts
    ):
        return results[Reason.OUTSIDE_WINDOW]
    percentage = flag.rollout_percentage
    if percentage >= 100:
        return results[Reason.FULL_ROLLOUT]
    if percentage <= 0:
        return results[Reason.DEFAULT]
    if not subject:
        return results[Reason.NO_SUBJECT]
    # bucket() inlined, with the "group:" prefix prepared once per snapshot: this line is the
    # hot path of every partial rollout.
    if _hash(flag.bucket_prefix + subject, 0, False) % 100 + 1 <= percentage:
        return results[Reason.ROLLOUT]
    return results[Reason.DEFAULT]
