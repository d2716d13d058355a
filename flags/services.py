"""Every write to a flag. Each service validates, bumps `version`, writes exactly one
`FlagChange` in the same transaction, and publishes the new revision on commit.

A service given `expected_version` refuses (StaleVersion) if the flag has moved on since.
A change that changes nothing writes nothing: no version, no history row.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from flags.errors import (
    FlagAlreadyExists,
    FlagNotFound,
    StaleVersion,
    VersionNotFound,
)
from flags.models import Flag, FlagChange, Tag
from flags.selectors import flag_config, flag_version_config
from flags.signals import flag_changed
from flags.store import store
from flags.validation import check_window, clean_changes, clean_user_ids, validate_name
from llmhub.actors import Actor

Action = FlagChange.Action


def _record(
    *,
    flag: Flag | None,
    name: str,
    version: int,
    action: str,
    actor: Actor,
    source: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    comment: str,
    details: dict[str, Any] | None = None,
) -> FlagChange:
    change = FlagChange.objects.create(
        flag=flag,
        flag_name=name,
        version=version,
        action=action,
        actor=actor.label[:200],
        actor_kind=actor.kind,
        actor_user=actor.user,
        source=source,
        before=before,
        after=after,
        comment=comment,
        details=details,
    )
    transaction.on_commit(store.publish_change)
    transaction.on_commit(lambda: flag_changed.send(sender=FlagChange, change=change))
    return change


def _locked(name: str, expected_version: int | None) -> Flag:
    flag = Flag.objects.select_for_update().filter(name=name).first()
    if flag is None:
        raise FlagNotFound(name)
    if expected_version is not None and expected_version != flag.version:
        raise StaleVersion(name, expected_version, flag.version)
    return flag


def _assign(flag: Flag, cleaned: dict[str, Any]) -> list[str] | None:
    """Set fields on the instance; return the tags to set afterwards (None: unchanged)."""
    tags = cleaned.pop("tags", None)
    for field, value in cleaned.items():
        setattr(flag, field, value)
    if not flag.rollout_group:
        flag.rollout_group = flag.name
    check_window(flag.starts_at, flag.ends_at)
    return tags


def _set_tags(flag: Flag, tags: list[str]) -> None:
    objs = [Tag.objects.get_or_create(name=tag)[0] for tag in tags]
    flag.tags.set(objs)


def _next_version(name: str) -> int:
    """A re-created flag continues its name's numbering, so versions never repeat in history."""
    last = FlagChange.objects.filter(flag_name=name).aggregate(v=Max("version"))["v"]
    return (last or 0) + 1


def flag_create(*, name: str, actor: Actor, source: str, comment: str = "", **config: Any) -> Flag:
    validate_name(name)
    cleaned = clean_changes(config)
    try:
        with transaction.atomic():
            flag = Flag(name=name, version=_next_version(name))
            tags = _assign(flag, cleaned)
            flag.save(force_insert=True)
            _set_tags(flag, tags or [])
            _record(
                flag=flag,
                name=name,
                version=flag.version,
                action=Action.CREATE,
                actor=actor,
                source=source,
                before=None,
                after=flag_config(flag),
                comment=comment,
            )
    except IntegrityError:
        if Flag.objects.filter(name=name).exists():
            raise FlagAlreadyExists(name) from None
        raise
    return flag


def _apply(
    *,
    name: str,
    changes: dict[str, Any],
    action: str,
    actor: Actor,
    source: str,
    expected_version: int | None,
    comment: str,
    details: dict[str, Any] | None = None,
) -> Flag:
    cleaned = clean_changes(changes)
    with transaction.atomic():
        flag = _locked(name, expected_version)
        before = flag_config(flag)
        tags = _assign(flag, cleaned)
        if tags is not None:
            _set_tags(flag, tags)
        after = flag_config(flag)
        if after == before:
            return flag
        flag.version += 1
        flag.save()
        _record(
            flag=flag,
            name=name,
            version=flag.version,
            action=action,
            actor=actor,
            source=source,
            before=before,
            after=after,
            comment=comment,
            details=details,
        )
    return flag


def flag_update(
    *,
    name: str,
    actor: Actor,
    source: str,
    expected_version: int | None = None,
    comment: str = "",
    **changes: Any,
) -> Flag:
    return _apply(
        name=name,
        changes=changes,
        action=Action.UPDATE,
        actor=actor,
        source=source,
        expected_version=expected_version,
        comment=comment,
    )


def flag_enable(
    *, name: str, actor: Actor, source: str, expected_version: int | None = None, comment: str = ""
) -> Flag:
    """Flip the kill switch on; nothing else changes (the rollout percentage stays)."""
    return _apply(
        name=name,
        changes={"enabled": True},
        action=Action.ENABLE,
        actor=actor,
        source=source,
        expected_version=expected_version,
        comment=comment,
    )


def flag_disable(
    *,
    name: str,
    actor: Actor,
    source: str,
    expected_version: int | None = None,
    comment: str = "",
    details: dict[str, Any] | None = None,
) -> Flag:
    """Flip the kill switch off. `details`: what justified an automatic change (a plan's gates)."""
    return _apply(
        name=name,
        changes={"enabled": False},
        action=Action.DISABLE,
        actor=actor,
        source=source,
        expected_version=expected_version,
        comment=comment,
        details=details,
    )


def flag_set_rollout(
    *,
    name: str,
    percentage: int,
    actor: Actor,
    source: str,
    expected_version: int | None = None,
    comment: str = "",
    details: dict[str, Any] | None = None,
) -> Flag:
    return _apply(
        name=name,
        changes={"rollout_percentage": percentage},
        action=Action.ROLLOUT,
        actor=actor,
        source=source,
        expected_version=expected_version,
        comment=comment,
        details=details,
    )


def flag_edit_lists(
    *,
    name: str,
    actor: Actor,
    source: str,
    whitelist_add: Iterable[str] = (),
    whitelist_remove: Iterable[str] = (),
    blacklist_add: Iterable[str] = (),
    blacklist_remove: Iterable[str] = (),
    expected_version: int | None = None,
    comment: str = "",
) -> Flag:
    """Add or remove user ids; the read-modify-write happens under the row lock.

    Each edit is validated (and an over-long one refused) before the lock is taken, so a
    50,000-id request costs no query and holds no lock; the merge itself is linear."""
    edits = {
        key: clean_user_ids(key, ids)
        for key, ids in (
            ("whitelist_add", whitelist_add),
            ("whitelist_remove", whitelist_remove),
            ("blacklist_add", blacklist_add),
            ("blacklist_remove", blacklist_remove),
        )
    }
    with transaction.atomic():
        flag = _locked(name, expected_version)
        changes = {
            "whitelist_users": edited_user_ids(
                flag.whitelist_users, edits["whitelist_add"], edits["whitelist_remove"]
            ),
            "blacklist_users": edited_user_ids(
                flag.blacklist_users, edits["blacklist_add"], edits["blacklist_remove"]
            ),
        }
        return _apply(
            name=name,
            changes=changes,
            action=Action.LISTS,
            actor=actor,
            source=source,
            expected_version=None,
            comment=comment,
        )


def edited_user_ids(current: list[str], add: list[str], remove: list[str]) -> list[str]:
    """`current` without `remove`, then the new ids of `add` in their order. Membership is
    checked in sets: a list lookup per id made a 50,000-id edit take 12.8 s under the lock."""
    removed = set(remove)
    result = [user for user in current if user not in removed]
    present = set(result)
    for user in add:
        if user not in present:
            present.add(user)
            result.append(user)
    return result


def flag_delete(
    *, name: str, actor: Actor, source: str, expected_version: int | None = None, comment: str = ""
) -> None:
    with transaction.atomic():
        flag = _locked(name, expected_version)
        before = flag_config(flag)
        version = flag.version + 1
        flag.delete()
        _record(
            flag=None,
            name=name,
            version=version,
            action=Action.DELETE,
            actor=actor,
            source=source,
            before=before,
            after=None,
            comment=comment,
        )


def flag_rollback(
    *,
    name: str,
    version: int,
    actor: Actor,
    source: str,
    expected_version: int | None = None,
    comment: str = "",
) -> Flag:
    """Restore the configuration `version` had, as a new version."""
    config = flag_version_config(name=name, version=version)
    if config is None:
        raise VersionNotFound(name, version)
    note = comment or f"Rolled back to version {version}."
    return _apply(
        name=name,
        changes=config,
        action=Action.ROLLBACK,
        actor=actor,
        source=source,
        expected_version=expected_version,
        comment=note,
    )


def flag_ensure(*, name: str, defaults: dict[str, Any], actor: Actor, source: str) -> bool:
    """Create `name` with `defaults` when missing; never touch an existing flag. True if created."""
    if Flag.objects.filter(name=name).exists():
        return False
    try:
        flag_create(
            name=name, actor=actor, source=source, comment="Declared in settings.", **defaults
        )
    except FlagAlreadyExists:
        return False
    return True
