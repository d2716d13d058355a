"""From the provider's claims to a Django user: username, e-mail, name, groups and roles.

The provider owns the identity of those who sign in through it: at each sign-in their e-mail
and name are copied, their Django groups become exactly the provider's (created as needed, the
ones it dropped removed), and the configured roles set staff, superuser and the hub's
permissions. Deactivated users, and unknown ones when accounts are not created, are refused.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import transaction

from llmhub.hub.permissions import hub_users_group_ensure
from llmhub.sso.errors import SignInRefused

logger = logging.getLogger(__name__)
MAX_NAME = 150  # User.username, Group.name, first_name, last_name


def claim(claims: dict[str, Any], path: str) -> Any:
    """A claim by name or dotted path ("realm_access.roles"); None when absent."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def claim_names(claims: dict[str, Any], path: str) -> list[str]:
    """A list-of-names claim (a single name counts too), cleaned: Keycloak's full group paths
    ("/dev-team") lose the leading slash; names too long for Django are left out."""
    value = claim(claims, path)
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    names: list[str] = []
    for item in items:
        name = item.lstrip("/").strip() if isinstance(item, str) else ""
        if name and len(name) <= MAX_NAME and name not in names:
            names.append(name)
    return names


def _username(claims: dict[str, Any]) -> str:
    username = claim(claims, settings.OIDC_USERNAME_CLAIM)
    if not isinstance(username, str) or not username.strip():
        raise SignInRefused(
            f"The sign-in service sent no {settings.OIDC_USERNAME_CLAIM!r} claim to name you by; "
            "tell the platform team (OIDC_USERNAME_CLAIM, docs/SSO.md).",
            reason="no_username",
        )
    if len(username) > MAX_NAME:
        raise SignInRefused("The username the sign-in service sent is too long.", reason="name")
    return username.strip()


def _account(username: str) -> User:
    user = User.objects.select_for_update().filter(username=username).first()
    if user is None:
        if not settings.OIDC_CREATE_USERS:
            raise SignInRefused(
                f"There is no account for {username} here. Ask an administrator to create one.",
                status=403,
                reason="unknown_user",
            )
        user = User(username=username)
        user.set_unusable_password()  # the provider signs them in; no local password
    elif not user.is_active:
        raise SignInRefused(
            f"The account {username} is deactivated here. Ask an administrator.",
            status=403,
            reason="inactive",
        )
    return user


def _copy_profile(user: User, claims: dict[str, Any]) -> None:
    email, name = claims.get("email"), claims.get("name")
    user.email = email if isinstance(email, str) else ""
    given, family = claims.get("given_name"), claims.get("family_name")
    if not isinstance(given, str) and isinstance(name, str):
        given, _, family = name.partition(" ")
    user.first_name = (given if isinstance(given, str) else "")[:MAX_NAME]
    user.last_name = (family if isinstance(family, str) else "")[:MAX_NAME]


def _apply_roles(user: User, roles: set[str]) -> None:
    """Staff and superuser follow the roles when roles for them are configured (granted and
    taken away); otherwise an administrator sets them by hand."""
    superuser_roles, staff_roles = (
        set(settings.OIDC_SUPERUSER_ROLES),
        set(settings.OIDC_STAFF_ROLES),
    )
    if superuser_roles:
        user.is_superuser = bool(roles & superuser_roles)
    if staff_roles or superuser_roles:
        user.is_staff = bool(roles & (staff_roles | superuser_roles))


def _sync_groups(user: User, names: list[str], roles: set[str]) -> None:
    groups = [Group.objects.get_or_create(name=name)[0] for name in names]
    if roles & set(settings.OIDC_HUB_ROLES):
        groups.append(hub_users_group_ensure())
    user.groups.set(groups)  # adds the new ones, removes those the provider dropped


@transaction.atomic
def user_sign_in(claims: dict[str, Any]) -> User:
    """The user these verified claims name, created or updated; SignInRefused otherwise."""
    user = _account(_username(claims))
    roles = set(claim_names(claims, settings.OIDC_ROLES_CLAIM))
    _copy_profile(user, claims)
    _apply_roles(user, roles)
    user.save()
    _sync_groups(user, claim_names(claims, settings.OIDC_GROUPS_CLAIM), roles)
    logger.info(
        "sso: %s signed in with groups %s",
        user.username,
        claim_names(claims, settings.OIDC_GROUPS_CLAIM),
    )
    return user
