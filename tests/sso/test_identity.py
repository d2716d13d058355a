"""Identity mapping: the provider's claims become the Django user, at every sign-in."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import override_settings

from llmhub.hub.permissions import HUB_USERS_GROUP
from llmhub.sso.errors import SignInRefused
from llmhub.sso.identity import claim_names, user_sign_in
from tests.sso.conftest import sign_in_http, sso_settings
from tests.sso.provider import ACCOUNTS, oidc_provider

pytestmark = pytest.mark.django_db
ROLES = override_settings(
    OIDC_STAFF_ROLES=["dev-team"], OIDC_SUPERUSER_ROLES=["root"], OIDC_HUB_ROLES=["dev-team"]
)


def _claims(**more: Any) -> dict[str, Any]:
    return {"sub": "1", "preferred_username": "carol", "email": "c@example.com", **more}


def _groups(user: User) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


@ROLES
def test_groups_mirrored__created__dropped_ones_removed() -> None:
    Group.objects.create(name="hand-made")
    user = user_sign_in(_claims(groups=["dev-team", "/ops"], name="Carol Danvers"))
    user.groups.add(Group.objects.get(name="hand-made"))
    assert _groups(user) == {"dev-team", "ops", HUB_USERS_GROUP, "hand-made"}
    assert (user.first_name, user.last_name, user.is_staff) == ("Carol", "Danvers", True)

    again = user_sign_in(_claims(groups=["ops"], email="carol@new.example.com"))
    assert again.pk == user.pk
    assert _groups(again) == {"ops"}  # the provider owns the groups of its users
    assert (again.email, again.is_staff) == ("carol@new.example.com", False)


@ROLES
def test_superuser_role__granted_and_taken_away() -> None:
    assert user_sign_in(_claims(groups=["root"])).is_superuser
    demoted = user_sign_in(_claims(groups=[]))
    assert not demoted.is_superuser and not demoted.is_staff


def test_no_roles_configured__staff_left_to_the_admin() -> None:
    User.objects.create_user("carol", is_staff=True)
    assert user_sign_in(_claims(groups=[])).is_staff


@override_settings(OIDC_ROLES_CLAIM="realm_access.roles", OIDC_STAFF_ROLES=["hub-admin"])
def test_keycloak_realm_roles__dotted_claim_path() -> None:
    user = user_sign_in(_claims(realm_access={"roles": ["hub-admin", "offline_access"]}))
    assert user.is_staff


@override_settings(OIDC_USERNAME_CLAIM="email")
def test_username_from_a_configured_claim() -> None:
    assert user_sign_in(_claims()).username == "c@example.com"


def test_username_claim_missing__refused_naming_it() -> None:
    with pytest.raises(SignInRefused) as refused:
        user_sign_in({"sub": "1", "email": "x@example.com"})
    assert "preferred_username" in refused.value.message


def test_claim_names__odd_values_ignored() -> None:
    assert claim_names({"groups": "solo"}, "groups") == ["solo"]
    assert claim_names({"groups": [1, "", "/a", "a", "x" * 151]}, "groups") == ["a"]
    assert claim_names({"groups": {"not": "a list"}}, "groups") == []


@pytest.mark.django_db(transaction=True)
def test_provider_drops_a_group__gone_at_the_next_sign_in(live_server: Any) -> None:
    before = {**ACCOUNTS, "alice": {**ACCOUNTS["alice"], "groups": ["dev-team", "sales"]}}
    after = {**ACCOUNTS, "alice": {**ACCOUNTS["alice"], "groups": ["sales"]}}
    for accounts, expected in ((before, {"dev-team", "sales"}), (after, {"sales"})):
        with (
            oidc_provider(live_server.url, accounts=accounts) as provider,
            sso_settings(provider.issuer, OIDC_HUB_ROLES=[]),
        ):
            sign_in_http(live_server.url, "alice", "alice-pw")
        assert _groups(User.objects.get(username="alice")) == expected
