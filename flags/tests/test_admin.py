"""Flag management in Django admin: every edit goes through the services."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from flags import services
from flags.models import Flag, FlagChange
from llmhub.actors import Actor

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("tests")


@pytest.fixture
def staff(admin_client: Client) -> Client:
    return admin_client


def _create(name: str = "hub", **config: Any) -> Flag:
    return services.flag_create(name=name, actor=ACTOR, source="command", **config)


def _form(flag: Flag | None = None, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "hub",
        "description": "The hub",
        "enabled": "on",
        "rollout_percentage": "10",
        "rollout_group": "",
        "whitelist_users": "amy\nbob",
        "blacklist_users": "",
        "starts_at_0": "",
        "starts_at_1": "",
        "ends_at_0": "",
        "ends_at_1": "",
        "tags": "hub, beta",
        "owner": "platform",
        "expected_version": str(flag.version) if flag else "",
        "changes-TOTAL_FORMS": "0",
        "changes-INITIAL_FORMS": "0",
        "changes-MIN_NUM_FORMS": "0",
        "changes-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _change_url(flag: Flag) -> str:
    return reverse("admin:flags_flag_change", args=[flag.pk])


def test_changelist__shows_columns_and_filters(staff: Client) -> None:
    _create(enabled=True, rollout_percentage=30, tags=["hub"], owner="platform")
    response = staff.get(reverse("admin:flags_flag_changelist") + "?q=hub&enabled__exact=1")
    body = response.content.decode()
    assert response.status_code == 200
    for text in ("hub", "30", "platform", "Tags", "Owner", "Updated at"):
        assert text in body


def test_add__creates_through_service_with_history(staff: Client) -> None:
    response = staff.post(reverse("admin:flags_flag_add"), _form())
    assert response.status_code == 302, response.content.decode()[:2000]
    flag = Flag.objects.get(name="hub")
    change = FlagChange.objects.get(flag_name="hub")
    assert (flag.whitelist_users, flag.rollout_group) == (["amy", "bob"], "hub")
    assert (change.source, change.actor, change.action) == ("admin", "admin", "create")
    assert change.after["tags"] == ["beta", "hub"]


def test_change__updates_through_service(staff: Client) -> None:
    flag = _create(rollout_percentage=10)
    response = staff.post(_change_url(flag), _form(flag, rollout_percentage="60"))
    assert response.status_code == 302
    flag.refresh_from_db()
    assert (flag.rollout_percentage, flag.version) == (60, 2)
    assert FlagChange.objects.filter(flag_name="hub").count() == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("rollout_percentage", "150", "Must be from 0 to 100, got 150."),
        ("tags", "Not A Tag!", "Tags are"),
        ("ends_at_0", "2020-01-01", "after starts_at"),
    ],
)
def test_change__invalid_input_shows_message_and_changes_nothing(
    staff: Client, field: str, value: str, message: str
) -> None:
    flag = _create(rollout_percentage=10)
    extra = {"starts_at_0": "2021-01-01", "starts_at_1": "00:00:00", "ends_at_1": "00:00:00"}
    data = _form(flag, **({field: value} | (extra if field == "ends_at_0" else {})))
    response = staff.post(_change_url(flag), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    flag.refresh_from_db()
    assert flag.version == 1


def test_change__refuses_to_overwrite_a_newer_change(staff: Client) -> None:
    flag = _create(rollout_percentage=10)
    opened = _form(flag, rollout_percentage="20")
    services.flag_set_rollout(name="hub", percentage=50, actor=ACTOR, source="api")
    response = staff.post(_change_url(flag), opened)
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    flag.refresh_from_db()
    assert (flag.rollout_percentage, flag.version) == (50, 2)


def test_change__without_the_opened_version__refused(staff: Client) -> None:
    flag = _create(rollout_percentage=10)
    response = staff.post(
        _change_url(flag), _form(flag, rollout_percentage="20", expected_version=None)
    )
    assert response.status_code == 200
    flag.refresh_from_db()
    assert (flag.rollout_percentage, flag.version) == (10, 1)


def test_change_form__shows_history_with_what_changed(staff: Client) -> None:
    flag = _create(rollout_percentage=10)
    services.flag_set_rollout(name="hub", percentage=35, actor=ACTOR, source="api")
    body = staff.get(_change_url(flag)).content.decode()
    assert "History" in body and "rollout_percentage: 10 → 35" in body


def test_who_sees_it__shows_on_off_and_reason(staff: Client) -> None:
    flag = _create(enabled=True, rollout_percentage=0, whitelist_users=["amy"])
    on = staff.get(_change_url(flag) + "?who_sees=amy").content.decode()
    off = staff.get(_change_url(flag) + "?who_sees=zed").content.decode()
    assert "ON" in on and "WHITELISTED" in on
    assert "OFF" in off and "DEFAULT" in off


def _action(staff: Client, action: str, flags: list[Flag], **extra: str) -> Any:
    data = {"action": action, ACTION_CHECKBOX_NAME: [str(f.pk) for f in flags], **extra}
    return staff.post(reverse("admin:flags_flag_changelist"), data)


def test_actions__enable_and_disable_each_flag_through_service(staff: Client) -> None:
    flags = [_create("a", enabled=False), _create("b", enabled=False)]
    _action(staff, "enable_flags", flags)
    assert set(Flag.objects.values_list("enabled", flat=True)) == {True}
    _action(staff, "disable_flags", flags)
    assert set(Flag.objects.values_list("enabled", flat=True)) == {False}
    assert FlagChange.objects.filter(action__in=["enable", "disable"]).count() == 4


def test_action__set_rollout_asks_then_applies(staff: Client) -> None:
    flag = _create(rollout_percentage=10)
    form = _action(staff, "set_rollout", [flag])
    assert form.status_code == 200 and "Rollout percentage" in form.content.decode()
    _action(staff, "set_rollout", [flag], apply="1", percentage="45")
    flag.refresh_from_db()
    assert flag.rollout_percentage == 45


def test_action__set_rollout_refuses_out_of_range(staff: Client) -> None:
    flag = _create(rollout_percentage=10)
    response = _action(staff, "set_rollout", [flag], apply="1", percentage="101")
    assert response.status_code == 200
    flag.refresh_from_db()
    assert flag.rollout_percentage == 10


def test_action__roll_back_restores_a_version(staff: Client) -> None:
    flag = _create(rollout_percentage=10)
    services.flag_set_rollout(name="hub", percentage=90, actor=ACTOR, source="api")
    _action(staff, "roll_back", [flag], apply="1", version="1")
    flag.refresh_from_db()
    assert (flag.rollout_percentage, flag.version) == (10, 3)


def test_delete__audited(staff: Client) -> None:
    flag = _create()
    url = reverse("admin:flags_flag_delete", args=[flag.pk])
    staff.post(url, {"post": "yes"})
    assert not Flag.objects.exists()
    assert FlagChange.objects.filter(flag_name="hub", action="delete").count() == 1


def test_history_admin__read_only(staff: Client) -> None:
    _create()
    change = FlagChange.objects.get()
    assert staff.get(reverse("admin:flags_flagchange_changelist")).status_code == 200
    assert staff.get(reverse("admin:flags_flagchange_add")).status_code == 403
    assert (
        staff.post(
            reverse("admin:flags_flagchange_delete", args=[change.pk]), {"post": "yes"}
        ).status_code
        == 403
    )


def test_non_staff__cannot_reach_flag_admin(client: Client, django_user_model) -> None:
    user = django_user_model.objects.create_user("joe", password="pw")
    client.force_login(user)
    response = client.get(reverse("admin:flags_flag_changelist"))
    assert response.status_code == 302  # to the admin login
