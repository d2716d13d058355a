"""Reads: map rows to snapshots and configurations, list flags and their history.

Evaluation reads through `flags.store` (in-memory, revision-checked); these functions are the
only place that turns ORM rows into the engine's frozen input.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Max, QuerySet, Sum

from flags.documents import iso_timestamp
from flags.evaluation import evaluate
from flags.models import Flag, FlagChange
from flags.types import EvaluationContext, EvaluationResult, FlagSnapshot
from flags.user_groups import user_group_names


def flag_tag_names(flag: Flag) -> list[str]:
    # Uses the prefetch cache when the queryset prefetched tags.
    return sorted(tag.name for tag in flag.tags.all())


def flag_to_snapshot(flag: Flag) -> FlagSnapshot:
    return FlagSnapshot(
        name=flag.name,
        enabled=flag.enabled,
        rollout_percentage=flag.rollout_percentage,
        rollout_group=flag.rollout_group or flag.name,
        whitelist_users=frozenset(flag.whitelist_users),
        blacklist_users=frozenset(flag.blacklist_users),
        starts_at=flag.starts_at,
        ends_at=flag.ends_at,
        version=flag.version,
        tags=tuple(flag_tag_names(flag)),
    )


def flag_config(flag: Flag) -> dict[str, Any]:
    """The whole configuration as JSON-safe data: what history rows, export and the API carry."""
    return {
        "description": flag.description,
        "enabled": flag.enabled,
        "rollout_percentage": flag.rollout_percentage,
        "rollout_group": flag.rollout_group,
        "whitelist_users": list(flag.whitelist_users),
        "blacklist_users": list(flag.blacklist_users),
        "starts_at": flag.starts_at.isoformat() if flag.starts_at else None,
        "ends_at": flag.ends_at.isoformat() if flag.ends_at else None,
        "tags": flag_tag_names(flag),
        "owner": flag.owner,
    }


def flag_document(flag: Flag) -> dict[str, Any]:
    """The API's representation of a flag as JSON-safe data (name, version, config, times)."""
    return {
        "name": flag.name,
        "version": flag.version,
        **flag_config(flag),
        "created_at": iso_timestamp(flag.created_at),
        "updated_at": iso_timestamp(flag.updated_at),
    }


def flag_change_watermark() -> int:
    """The highest history row id: where a process's change feed starts after a full load."""
    return FlagChange.objects.aggregate(last=Max("id"))["last"] or 0


def flag_changes_since(watermark: int) -> tuple[int, set[str]]:
    """The names of the flags changed (created, updated, deleted) in history rows after
    `watermark`, and the new watermark: every write goes through a service that writes one."""
    rows = FlagChange.objects.filter(id__gt=watermark).values_list("id", "flag_name")
    names: set[str] = set()
    for change_id, name in rows:
        watermark = max(watermark, change_id)
        names.add(name)
    return watermark, names


def flag_versions() -> dict[str, tuple[int, int]]:
    """(row id, version) of every flag: a light scan to find what a process missed."""
    rows = Flag.objects.values_list("name", "id", "version")
    return {name: (flag_id, version) for name, flag_id, version in rows}


def flag_revision_parts() -> tuple[int, int, int]:
    """(count, sum of versions, highest id) over the flags; see `flag_revision`."""
    row = Flag.objects.aggregate(count=Count("id"), versions=Sum("version"), last=Max("id"))
    return row["count"], row["versions"] or 0, row["last"] or 0


def flag_revision() -> str:
    """A token that changes with every committed change to any flag: one aggregate query.

    Every change bumps a version (sum), every delete lowers the count and every create raises
    the highest id (ids are never reused), so any set of committed changes moves the triple.
    Read by processes that share no cache (see flags.store).
    """
    count, versions, last = flag_revision_parts()
    return f"db:{count}:{versions}:{last}"


def flag_list(*, tags: Iterable[str] | None = None) -> QuerySet[Flag]:
    """Flags in name order; with `tags`, those carrying any of them."""
    flags = Flag.objects.prefetch_related("tags").order_by("name")
    wanted = [tag for tag in (tags or []) if tag]
    if wanted:
        flags = flags.filter(tags__name__in=wanted).distinct()
    return flags


def flag_get(*, name: str) -> Flag | None:
    return Flag.objects.prefetch_related("tags").filter(name=name).first()


def flag_document_at(*, name: str, version: int) -> dict[str, Any] | None:
    """The flag's document if its row is still at `version` (one query): for a snapshot whose
    document the store no longer holds, having loaded a newer set meanwhile."""
    flag = flag_get(name=name)
    if flag is None or flag.version != version:
        return None
    return flag_document(flag)


def flag_history(*, name: str) -> QuerySet[FlagChange]:
    """The audit trail of one flag name, newest first."""
    return FlagChange.objects.filter(flag_name=name).order_by("-version", "-id")


def flag_version_config(*, name: str, version: int) -> dict[str, Any] | None:
    """The configuration a flag had right after `version` was written, if that is recorded."""
    change = (
        FlagChange.objects.filter(flag_name=name, version=version)
        .exclude(action=FlagChange.Action.DELETE)
        .order_by("-id")
        .first()
    )
    return change.after if change else None


def flag_schedule_decisions(*, since: Any, until: Any, limit: int = 200) -> list[dict[str, Any]]:
    """Changes a rollout plan made (source `schedule`) in [since, until), oldest first: the
    dashboard marks them on its charts. Read through the `created_at` index: a few rows."""
    rows = (
        FlagChange.objects.filter(
            source=FlagChange.Source.SCHEDULE, created_at__gte=since, created_at__lt=until
        )
        .order_by("-created_at", "-id")
        .values("created_at", "flag_name", "action", "after", "details")[:limit]
    )
    return [
        {
            "at": row["created_at"].isoformat(),
            "day": row["created_at"].date().isoformat(),
            "flag": row["flag_name"],
            "decision": (row["details"] or {}).get("decision", row["action"]),
            "enabled": (row["after"] or {}).get("enabled"),
            "percentage": (row["after"] or {}).get("rollout_percentage"),
            "reason": (row["details"] or {}).get("reason", ""),
        }
        for row in reversed(list(rows))
    ]


def who_sees_it(flag: Flag, subject: str) -> EvaluationResult:
    """The saved configuration evaluated for one user id, now, with the user's groups as they
    are in the database (for `group:<name>` whitelist entries): the admin's box, `flags check`."""
    context = EvaluationContext(
        subject=subject, now=time.time(), attributes={"groups": user_group_names(subject)}
    )
    return evaluate(flag_to_snapshot(flag), context)
