"""seed_test_data's users: the named ones and --users regular ones; passwords only under DEBUG."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.test import override_settings

from llmhub.hub.permissions import HUB_USER_PERMISSIONS, HUB_USERS_GROUP
from llmhub.ops.seed_users import NAMED_USERS, REGULAR_PASSWORD, seed_users
from llmhub.seeding import SeedRun

pytestmark = pytest.mark.django_db
User = get_user_model()
ALL_PASSWORDS = [user.dev_password for user in NAMED_USERS] + [REGULAR_PASSWORD]


def run_seed(users: int = 5) -> tuple[str, tuple[int, int]]:
    out = io.StringIO()
    (tally,) = seed_users(SeedRun(out=out, users=users, show_progress=False))
    return out.getvalue(), (tally.created, tally.existing)


@override_settings(DEBUG=True)
def test_seed_users__debug_on__prints_dev_passwords_that_log_in() -> None:
    output, tally = run_seed(users=5)
    assert tally == (8, 0)
    for password in ALL_PASSWORDS:
        assert password in output
    admin = authenticate(username="admin", password="llmhub-admin")
    assert admin is not None and admin.is_superuser and admin.is_staff
    staff = authenticate(username="staff", password="llmhub-staff")
    assert staff is not None and staff.is_staff and not staff.is_superuser
    tester = authenticate(username="tester", password="llmhub-tester")
    assert tester is not None and tester.is_staff and not tester.is_superuser
    assert authenticate(username="user005", password=REGULAR_PASSWORD) is not None


@override_settings(DEBUG=False)
def test_seed_users__debug_off__prints_no_password_and_none_is_usable() -> None:
    output, tally = run_seed(users=5)
    assert tally == (8, 0)
    for password in ALL_PASSWORDS:
        assert password not in output
    assert not any(user.has_usable_password() for user in User.objects.all())
    assert authenticate(username="admin", password="llmhub-admin") is None


@override_settings(DEBUG=True)
def test_seed_users__existing_user__is_never_touched() -> None:
    User.objects.create_user(username="admin", password="mine")
    output, tally = run_seed(users=2)
    assert tally == (4, 1)
    admin = User.objects.get(username="admin")
    assert admin.check_password("mine") and not admin.is_superuser
    assert "llmhub-admin" not in output and "unchanged" in output


def test_seed_users__twice_and_scaled__only_adds_the_missing() -> None:
    run_seed(users=5)
    assert run_seed(users=5)[1] == (0, 8)
    assert run_seed(users=40)[1] == (35, 8)
    assert User.objects.filter(username__startswith="user").count() == 40


def test_seed_users__everyone_but_admin__is_staff_in_hub_users_with_the_hub_permissions() -> None:
    run_seed(users=3)
    for username in ["staff", "tester", "user001", "user003"]:
        user = User.objects.get(username=username)
        assert user.is_staff and not user.is_superuser
        assert list(user.groups.values_list("name", flat=True)) == [HUB_USERS_GROUP]
        assert all(user.has_perm(perm) for perm in HUB_USER_PERMISSIONS), username
    assert not User.objects.get(username="admin").groups.exists()


def test_seed_users__hub_users_group_edited_by_an_admin__is_left_as_it_is() -> None:
    Group.objects.create(name=HUB_USERS_GROUP)  # an admin emptied it
    run_seed(users=1)
    assert not Group.objects.get(name=HUB_USERS_GROUP).permissions.exists()
    assert User.objects.get(username="user001").groups.get().name == HUB_USERS_GROUP
