"""Pure flag evaluation, in DESIGN.md's normative order: `evaluate(snapshot, context)`.

No ORM, no cache, no request and no clock: a frozen snapshot and a context in, a result with its
reason out. The first rule that decides wins. `bucket` is the cohort rule on its own, for tests
and tools that show who lands where.
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


def _groups(value: object) -> frozenset[str]:
    """Group names as a context may hold them: one name, or a collection of names."""
    if isinstance(value, str):
        return frozenset({value})
    if isinstance(value, list | tuple | set | frozenset):
        return frozenset(item for item in value if isinstance(item, str))
    return NO_GROUPS


def evaluate(
    flag: FlagSnapshot | None, context: EvaluationContext, name: str = ""
) -> EvaluationResult:
    """The engine's one entry point: `flag` (None when no flag called `name` exists) evaluated
    for `context`, in DESIGN.md's order. Returns one of the snapshot's prebuilt results.

    Every caller comes here: `flags.evaluate` (views, templates, the API, OFREP, the
    evaluation lane) and the admin's "who sees it". Targeting rules will add their steps here.
    """
    if flag is None:
        return EvaluationResult(name, False, Reason.FLAG_NOT_FOUND, 0)
    results = flag.results
    if not flag.enabled:
        return results[Reason.DISABLED]
    subject = context.subject
    if subject is not None:
        if subject in flag.blacklist_users:
            return results[Reason.BLACKLISTED]
        if subject in flag.whitelist_users:
            return results[Reason.WHITELISTED]
        # `group:<name>` entries: the subject's groups, which the caller puts in the context
        # (flags.evaluate reads them only for a flag that has such entries).
        if flag.whitelist_groups and not flag.whitelist_groups.isdisjoint(
            _groups(context.attributes.get("groups"))
        ):
            return results[Reason.WHITELISTED]
    # Start inclusive, end exclusive: a window [start, end).
    now = context.now
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
