"""Every write goes through a service: validate, bump the version, write one history row."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from flags import services
from flags.errors import (
    FlagAlreadyExists,
    FlagNotFound,
    FlagValidationError,
    StaleVersion,
    VersionNotFound,
)
from flags.models import Flag, FlagChange
from llmhub.actors import Actor

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("tests")


def _create(name: str = "hub", **config: Any) -> Flag:
    return services.flag_create(name=name, actor=ACTOR, source="command", **config)


def _rows(name: str = "hub") -> int:
    return FlagChange.objects.filter(flag_name=name).count()


WRITES: dict[str, Callable[[], Any]] = {
    "update": lambda: services.flag_update(name="hub", actor=ACTOR, source="api", description="x"),
    "enable": lambda: services.flag_enable(name="hub", actor=ACTOR, source="api"),
    "disable": lambda: services.flag_disable(name="hub", actor=ACTOR, source="api"),
    "rollout": lambda: services.flag_set_rollout(
        name="hub", percentage=40, actor=ACTOR, source="api"
    ),
    "lists": lambda: services.flag_edit_lists(
        name="hub", actor=ACTOR, source="api", whitelist_add=["amy"]
    ),
    "rollback": lambda: services.flag_rollback(name="hub", version=1, actor=ACTOR, source="api"),
    "delete": lambda: services.flag_delete(name="hub", actor=ACTOR, source="api"),
}
STARTING = {"rollback": {"enabled": True}, "enable": {"enabled": False}}


def test_create__writes_version_1_and_one_history_row() -> None:
    flag = _create(rollout_percentage=10, tags=["hub", "beta"])
    change = FlagChange.objects.get(flag_name="hub")
    assert flag.version == 1 and flag.rollout_group == "hub"
    assert (change.version, change.action, change.before) == (1, "create", None)
    assert change.after["tags"] == ["beta", "hub"]


@pytest.mark.parametrize("write", list(WRITES))
def test_every_write_path__exactly_one_history_row(write: str) -> None:
    _create(enabled=STARTING.get(write, {}).get("enabled", True))
    if write == "rollback":
        services.flag_disable(name="hub", actor=ACTOR, source="api")
    before = _rows()
    WRITES[write]()
    assert _rows() == before + 1
    latest = FlagChange.objects.filter(flag_name="hub").order_by("-id").first()
    assert latest is not None and latest.actor == "tests" and latest.source == "api"


def test_write__bumps_version_and_records_before_and_after() -> None:
    _create(rollout_percentage=10)
    flag = services.flag_set_rollout(name="hub", percentage=25, actor=ACTOR, source="api")
    change = FlagChange.objects.get(flag_name="hub", version=2)
    assert flag.version == 2
    assert change.changed_fields() == {"rollout_percentage": (10, 25)}


def test_enable__does_not_touch_rollout() -> None:
    _create(enabled=False, rollout_percentage=30)
    flag = services.flag_enable(name="hub", actor=ACTOR, source="api")
    assert (flag.enabled, flag.rollout_percentage) == (True, 30)


def test_no_op_change__writes_nothing() -> None:
    _create(enabled=True)
    flag = services.flag_enable(name="hub", actor=ACTOR, source="api")
    assert flag.version == 1 and _rows() == 1


def test_stale_version__refused_and_changes_nothing() -> None:
    _create(enabled=True)
    services.flag_set_rollout(name="hub", percentage=20, actor=ACTOR, source="api")
    with pytest.raises(StaleVersion) as caught:
        services.flag_disable(name="hub", actor=ACTOR, source="api", expected_version=1)
    assert caught.value.current == 2
    assert Flag.objects.get(name="hub").enabled is True and _rows() == 2


def test_current_version__accepted() -> None:
    _create(enabled=True)
    flag = services.flag_disable(name="hub", actor=ACTOR, source="api", expected_version=1)
    assert flag.version == 2


@pytest.mark.parametrize(
    "changes",
    [
        {"rollout_percentage": 150},
        {"rollout_percentage": -1},
        {"rollout_percentage": 50.5},
        {"rollout_percentage": "50"},
        {"rollout_percentage": True},
        {"rollout_percentage": None},
        {"enabled": "yes"},
        {"whitelist_users": ["ok", ""]},
        {"whitelist_users": "alice"},
        {"blacklist_users": [1, 2]},
        {"starts_at": "2026-12-01T09:00:00"},
        {"starts_at": "9999-12-31T23:00:00-14:00"},
        {"ends_at": "0001-01-01T00:00:00+14:00"},
        {"ends_at": "9999-12-31T23:59:59+00:00"},
        {"starts_at": "1900-01-01T00:00:00+00:00"},
        {"starts_at": "2026-12-02T00:00:00Z", "ends_at": "2026-12-01T00:00:00Z"},
        {"tags": ["Not A Slug"]},
        {"version": 9},
        {"description": "nul\x00byte"},
    ],
)
def test_invalid_update__refused_with_field_and_changes_nothing(changes: dict[str, Any]) -> None:
    _create(rollout_percentage=10)
    with pytest.raises(FlagValidationError) as caught:
        services.flag_update(name="hub", actor=ACTOR, source="api", **changes)
    assert set(caught.value.fields) <= set(changes) | {"ends_at"}
    flag = Flag.objects.get(name="hub")
    assert (flag.version, flag.rollout_percentage, _rows()) == (1, 10, 1)


@pytest.mark.parametrize("name", ["", "Has Caps", "sp ace", "-lead", "x" * 101])
def test_create__bad_name_refused(name: str) -> None:
    with pytest.raises(FlagValidationError):
        _create(name)
    assert Flag.objects.count() == 0


def test_create__duplicate_name_refused() -> None:
    _create()
    with pytest.raises(FlagAlreadyExists):
        _create()
    assert _rows() == 1


def test_unknown_flag__not_found() -> None:
    with pytest.raises(FlagNotFound):
        services.flag_enable(name="ghost", actor=ACTOR, source="api")


def test_rollback__restores_configuration_as_new_version() -> None:
    _create(rollout_percentage=10, whitelist_users=["amy"])
    services.flag_update(
        name="hub", actor=ACTOR, source="api", rollout_percentage=90, whitelist_users=[], tags=["x"]
    )
    flag = services.flag_rollback(name="hub", version=1, actor=ACTOR, source="api")
    change = FlagChange.objects.get(flag_name="hub", version=3)
    assert (flag.version, flag.rollout_percentage, flag.whitelist_users) == (3, 10, ["amy"])
    assert list(flag.tags.values_list("name", flat=True)) == []
    assert change.action == "rollback" and "version 1" in change.comment


def test_rollback__unknown_version_refused() -> None:
    _create()
    with pytest.raises(VersionNotFound):
        services.flag_rollback(name="hub", version=42, actor=ACTOR, source="api")


def test_delete__keeps_history_and_recreate_continues_numbering() -> None:
    _create()
    services.flag_delete(name="hub", actor=ACTOR, source="api")
    assert not Flag.objects.filter(name="hub").exists()
    assert FlagChange.objects.get(flag_name="hub", action="delete").version == 2
    assert _create().version == 3


def test_edit_lists__add_and_remove() -> None:
    _create(whitelist_users=["amy", "bob"])
    flag = services.flag_edit_lists(
        name="hub",
        actor=ACTOR,
        source="api",
        whitelist_add=["cat"],
        whitelist_remove=["amy"],
        blacklist_add=["eve"],
    )
    assert (flag.whitelist_users, flag.blacklist_users) == (["bob", "cat"], ["eve"])


def test_window__stored_and_recorded_as_iso() -> None:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    _create(starts_at=start, ends_at="2026-12-08T00:00:00+00:00")
    change = FlagChange.objects.get(flag_name="hub")
    assert change.after["starts_at"] == "2026-12-01T00:00:00+00:00"


def test_history__append_only() -> None:
    _create()
    change = FlagChange.objects.get(flag_name="hub")
    with pytest.raises(ValueError):
        change.comment = "rewritten"
        change.save()
    with pytest.raises(ValueError):
        change.delete()


def test_database__refuses_out_of_range_rollout() -> None:
    from django.db import IntegrityError, transaction

    flag = _create()
    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.filter(pk=flag.pk).update(rollout_percentage=101)


def test_database__refuses_window_ending_before_it_starts() -> None:
    from django.db import IntegrityError, transaction

    flag = _create()
    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.filter(pk=flag.pk).update(
            starts_at=datetime(2026, 12, 2, tzinfo=UTC), ends_at=datetime(2026, 12, 1, tzinfo=UTC)
        )
