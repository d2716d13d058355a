"""Reads: map rows to snapshots and configurations, list flags and their history.

Evaluation reads through `flags.store` (in-memory, revision-checked); these functions are the
only place that turns ORM rows into the engine's frozen input.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Max, QuerySet, Sum

from flags.models import Flag, FlagChange
from flags.types import FlagSnapshot


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


def _iso(moment: Any) -> str:
    # As DRF renders a datetime, so a document equals the API's own rendering of the row.
    return str(moment.isoformat()).replace("+00:00", "Z")


def flag_document(flag: Flag) -> dict[str, Any]:
    """The API's representation of a flag as JSON-safe data (name, version, config, times)."""
    return {
        "name": flag.name,
        "version": flag.version,
        **flag_config(flag),
        "created_at": _iso(flag.created_at),
        "updated_at": _iso(flag.updated_at),
    }


# The columns a snapshot and a document need, read as tuples: model instances and the ORM's tag
# prefetch cost most of a cold load (1.2-1.9 s at 10,000 flags, against ~0.1 s this way).
_ROW_FIELDS = (
    "id",
    "name",
    "description",
    "enabled",
    "rollout_percentage",
    "rollout_group",
    "whitelist_users",
    "blacklist_users",
    "starts_at",
    "ends_at",
    "owner",
    "version",
    "created_at",
    "updated_at",
)

FlagState = tuple[dict[str, FlagSnapshot], dict[str, dict[str, Any]], dict[str, int]]


def _row_state(row: tuple[Any, ...], tags: list[str]) -> tuple[FlagSnapshot, dict[str, Any]]:
    """One row as the engine's snapshot and the API's document (as `flag_document` builds it)."""
    (_, name, description, enabled, percentage, group, white, black, starts, ends, owner) = row[:11]
    version, created, updated = row[11:]
    tags.sort()
    snapshot = FlagSnapshot(
        name=name,
        enabled=enabled,
        rollout_percentage=percentage,
        rollout_group=group or name,
        whitelist_users=frozenset(white),
        blacklist_users=frozenset(black),
        starts_at=starts,
        ends_at=ends,
        version=version,
        tags=tuple(tags),
    )
    document = {
        "name": name,
        "version": version,
        "description": description,
        "enabled": enabled,
        "rollout_percentage": percentage,
        "rollout_group": group,
        "whitelist_users": list(white),
        "blacklist_users": list(black),
        "starts_at": starts.isoformat() if starts else None,
        "ends_at": ends.isoformat() if ends else None,
        "tags": tags,
        "owner": owner,
        "created_at": _iso(created),
        "updated_at": _iso(updated),
    }
    return snapshot, document


def flag_state_load(*, names: Iterable[str] | None = None) -> FlagState:
    """Every flag's (or the named flags') snapshot, document and row id, from two queries
    whatever the number of flags: what a process keeps, so evaluations, configurations and the
    list need no query."""
    rows = Flag.objects.values_list(*_ROW_FIELDS)
    links = Flag.tags.through.objects.values_list("flag_id", "tag__name")
    if names is not None:
        wanted = list(names)
        rows = rows.filter(name__in=wanted)
        links = links.filter(flag__name__in=wanted)
    tags_by_flag: dict[int, list[str]] = {}
    for flag_id, tag in links.iterator(chunk_size=10_000):
        tags_by_flag.setdefault(flag_id, []).append(tag)
    snapshots: dict[str, FlagSnapshot] = {}
    documents: dict[str, dict[str, Any]] = {}
    ids: dict[str, int] = {}
    for row in rows.iterator(chunk_size=10_000):
        name = row[1]
        snapshots[name], documents[name] = _row_state(row, tags_by_flag.get(row[0], []))
        ids[name] = row[0]
    return snapshots, documents, ids


def flag_change_watermark() -> int:
    """The highest history row id: where a process's change feed starts after a full load."""
    return FlagChange.objects.aggregate(last=Max("id"))["last"] or 0


def flag_changes_since(watermark: int) -> tuple[int, set[str]]:
    """The names of the flags changed (created, updated, deleted) in history rows after
    `watermark`, and the new watermark: every write goes through a service that writes one."""
    rows = FlagChange.objects.filter(id__gt=watermark).values_list("id", "flag_name")
    names: set[str] = set()
    for change_id, name in rows.iterator(chunk_size=10_000):
        watermark = max(watermark, change_id)
        names.add(name)
    return watermark, names


def flag_versions() -> dict[str, tuple[int, int]]:
    """(row id, version) of every flag: a light scan to find what a process missed."""
    rows = Flag.objects.values_list("name", "id", "version")
    return {name: (flag_id, version) for name, flag_id, version in rows.iterator(chunk_size=20_000)}


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
