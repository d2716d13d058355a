"""Seeded users: an admin, a staff member, a whitelisted tester and `--users` demo users.

Everyone but the admin is staff in the "hub users" group (every permission the hub uses), so
each may open the hub and the old pages, and the `unified_llm_hub` rollout splits a real
population: some demo users get the new hub, the others the old pages.

Known development passwords are set (and printed) only when DEBUG is on; otherwise the users get
unusable passwords (set one with `manage.py changepassword`), so a seeded database outside
development never has a login anyone can guess. Existing users are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import factory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from llmhub.hub.permissions import HUB_USERS_GROUP, hub_users_group_ensure
from llmhub.seeding import SeedRun, Tally

BATCH = 500


@dataclass(frozen=True)
class SeedUser:
    username: str
    dev_password: str
    is_staff: bool = True  # the hub's pages, like admin, are for staff
    is_superuser: bool = False
    hub_user: bool = True  # in the "hub users" group


NAMED_USERS = [
    # The admin's password is load_demo's, so `make run` gives one login whichever ran first.
    SeedUser("admin", "llmhub-admin", is_superuser=True, hub_user=False),
    SeedUser("staff", "llmhub-staff"),
    # Whitelisted on unified_llm_hub by the flags seeder, so the tester sees the new hub while
    # the rollout is still at a few percent.
    SeedUser("tester", "llmhub-tester"),
]
REGULAR_PASSWORD = "llmhub-user"


def seed_users(run: SeedRun) -> list[Tally]:
    from flags.tests.factories import UserFactory  # factory-boy: a development requirement

    wanted = NAMED_USERS + [SeedUser(name, REGULAR_PASSWORD) for name in run.regular_usernames]
    user_model = get_user_model()
    existing = set(
        user_model.objects.filter(username__in=[u.username for u in wanted]).values_list(
            "username", flat=True
        )
    )
    missing = [u for u in wanted if u.username not in existing]
    hashes = _password_hashes({u.dev_password for u in missing})
    users = [_build(UserFactory, u, hashes[u.dev_password]) for u in missing]
    progress = run.progress("users", len(users))
    with transaction.atomic():
        for start in range(0, len(users), BATCH):
            batch = users[start : start + BATCH]
            user_model.objects.bulk_create(batch, batch_size=BATCH)
            progress.advance(len(batch))
        _join_hub_users([u.username for u in missing if u.hub_user])
    if users:
        progress.finish()
    _report_logins(run, created={u.username for u in missing}, wanted=wanted)
    return [Tally("users", len(missing), len(existing))]


def _join_hub_users(usernames: list[str]) -> None:
    """Put the new users in the "hub users" group (users that existed are left as they are)."""
    group = hub_users_group_ensure()
    ids = get_user_model().objects.filter(username__in=usernames).values_list("pk", flat=True)
    membership = group.user_set.through
    rows = [membership(group_id=group.pk, user_id=user_id) for user_id in ids]
    membership.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)


def _password_hashes(passwords: set[str]) -> dict[str, str]:
    """One hash per distinct password (hashing is slow on purpose); unusable without DEBUG."""
    if settings.DEBUG:
        return {password: make_password(password) for password in passwords}
    return {password: make_password(None) for password in passwords}


def _build(user_factory: Any, user: SeedUser, password_hash: str) -> Any:
    return user_factory.build(
        username=user.username,
        password=factory.Transformer.Force(password_hash),  # hashed once, not per user
        is_staff=user.is_staff,
        is_superuser=user.is_superuser,
    )


def _report_logins(run: SeedRun, *, created: set[str], wanted: list[SeedUser]) -> None:
    if not settings.DEBUG:
        if created:
            run.say("users: passwords are unusable (DEBUG is off); set one with changepassword")
        return
    run.say("Development logins (DEBUG is on):")
    for user in NAMED_USERS:
        shown = user.dev_password if user.username in created else "(existing user, unchanged)"
        run.say(f"  {user.username:<8} {shown}")
    regular = [u.username for u in wanted[len(NAMED_USERS) :] if u.username in created]
    if regular:
        run.say(f"  {regular[0]}..{regular[-1]} (new ones): {REGULAR_PASSWORD}")
    run.say(
        f'  all but admin: staff in group "{HUB_USERS_GROUP}"; the rollout decides who '
        "gets the new hub"
    )
