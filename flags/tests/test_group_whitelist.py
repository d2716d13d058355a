"""`group:<name>` whitelist entries: every member of the Django group gets the flag.

Phase 1's recipe is "whitelist group:dev-team": evaluated from the request's user (the hub),
from the API caller or `?user_id=`, from OFREP's context, in the admin's "who sees it?" box and
from a shell. Warm, it costs no query.
"""

from __future__ import annotations

import time
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, Group, User
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse

import flags
from flags import services
from flags.errors import FlagValidationError
from flags.evaluation import evaluate
from flags.selectors import flag_get
from flags.tests.api.conftest import Api, make_flag, make_token, make_user
from flags.tests.api.test_fastpath import Lane, answered  # noqa: F401  (fixture)
from flags.types import EvaluationContext, FlagSnapshot, Reason
from flags.user_groups import user_groups
from llmhub.actors import Actor
from llmhub.api.tokens.services import token_cache
from tests.html_forms import open_admin_form, post_as_browser

pytestmark = pytest.mark.django_db
URL = "/api/v1/features/hub"


@pytest.fixture(autouse=True)
def _no_cached_groups() -> Any:
    user_groups.clear()
    yield
    user_groups.clear()


def _member(name: str, *groups: str, perms: tuple[str, ...] = ()) -> User:
    user = make_user(name, perms)
    for group in groups:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


def _request_for(user: Any) -> Any:
    request = RequestFactory().get("/admin/llm-management/")
    request.user = user
    return request


# --- the pure engine -------------------------------------------------------------------------


def decide(flag: Any, subject: str, now: float, groups: frozenset[str] | None = None) -> Any:
    """The engine with the subject's groups in the context, as flags.evaluate puts them."""
    attributes = {} if groups is None else {"groups": groups}
    return evaluate(flag, EvaluationContext(subject=subject, now=now, attributes=attributes))


def test_decide__member_of_whitelisted_group__whitelisted_before_the_window() -> None:
    flag = FlagSnapshot("hub", True, 0, "hub", frozenset({"group:dev-team", "amy"}))
    assert flag.whitelist_groups == frozenset({"dev-team"})
    assert decide(flag, "bob", time.time(), frozenset({"dev-team"})).reason == Reason.WHITELISTED
    assert decide(flag, "bob", time.time(), frozenset({"sales"})).reason == Reason.DEFAULT
    assert decide(flag, "bob", time.time()).reason == Reason.DEFAULT


def test_decide__blacklisted_member__blacklist_wins() -> None:
    flag = FlagSnapshot(
        "hub", True, 0, "hub", frozenset({"group:dev-team"}), blacklist_users=frozenset({"bob"})
    )
    assert decide(flag, "bob", time.time(), frozenset({"dev-team"})).reason == Reason.BLACKLISTED


def test_decide__disabled__members_blocked_too() -> None:
    flag = FlagSnapshot("hub", False, 100, "hub", frozenset({"group:dev-team"}))
    assert decide(flag, "bob", time.time(), frozenset({"dev-team"})).reason == Reason.DISABLED


# --- validation --------------------------------------------------------------------------------


def test_whitelist__group_without_a_name__refused() -> None:
    with pytest.raises(FlagValidationError) as raised:
        make_flag("hub", whitelist_users=["group:"])
    assert "names no group" in raised.value.fields["whitelist_users"][0]


def test_blacklist__group_entry__refused_clearly() -> None:
    make_flag("hub")
    with pytest.raises(FlagValidationError) as raised:
        services.flag_edit_lists(
            name="hub", actor=Actor.system("t"), source="command", blacklist_add=["group:x"]
        )
    assert "whitelist only" in raised.value.fields["blacklist_add"][0]


# --- the request's user (the hub's gate) -----------------------------------------------------


def test_request_user_in_group__on__warm_without_query(django_assert_num_queries: Any) -> None:
    make_flag("hub", whitelist_users=["group:dev-team"])
    bob = _member("bob", "dev-team")
    request = _request_for(User.objects.get(pk=bob.pk))
    assert flags.evaluate("hub", request=request).reason == Reason.WHITELISTED  # cold: 1 query
    with django_assert_num_queries(0):
        assert flags.evaluate("hub", request=_request_for(request.user)).enabled


def test_request_user_outside_group_or_anonymous__off() -> None:
    make_flag("hub", whitelist_users=["group:dev-team"])
    amy = _member("amy", "sales")
    assert not flags.is_enabled("hub", request=_request_for(amy))
    anonymous = _request_for(AnonymousUser())
    anonymous.session = type("S", (), {"session_key": "s" * 32})()
    assert flags.evaluate("hub", request=anonymous).reason == Reason.DEFAULT


def test_flag_without_group_entries__never_looks_groups_up(
    django_assert_num_queries: Any,
) -> None:
    make_flag("hub", rollout_percentage=0)
    bob = _member("bob", "dev-team")
    flags.evaluate("hub", "warm-the-store")
    with django_assert_num_queries(0):
        assert not flags.is_enabled("hub", request=_request_for(bob))


def test_membership_removed__next_evaluation_sees_it() -> None:
    make_flag("hub", whitelist_users=["group:dev-team"])
    bob = _member("bob", "dev-team")
    assert flags.is_enabled("hub", request=_request_for(bob))
    bob.groups.clear()
    assert not flags.is_enabled("hub", request=_request_for(bob))


def test_shell__groups_given__used_as_is() -> None:
    make_flag("hub", whitelist_users=["group:dev-team"])
    assert flags.is_enabled("hub", "someone", groups=["dev-team"])
    assert not flags.is_enabled("hub", "someone", groups=["sales"])


# --- API and OFREP -----------------------------------------------------------------------------


def test_api__caller_and_user_id_evaluated_with_their_groups(client: Client) -> None:
    make_flag("hub", whitelist_users=["group:dev-team"])
    svc = _member("svc", "dev-team", perms=("view_flag",))
    _member("bob", "dev-team")
    _member("amy")
    api = Api(client, {"HTTP_AUTHORIZATION": f"Bearer {make_token(svc, 'read')}"})
    assert api.get(URL).json()["reason"] == "WHITELISTED"
    assert api.get(f"{URL}?user_id=bob").json()["reason"] == "WHITELISTED"
    assert api.get(f"{URL}?user_id=amy").json()["reason"] == "DEFAULT"
    assert api.get("/api/v1/features/user/bob/enabled").json()["enabled"] == ["hub"]


def test_api__patch_whitelist_with_group__saved(client: Client) -> None:
    make_flag("hub")
    admin = make_user("ops", ("view_flag", "change_flag"))
    api = Api(client, {"HTTP_AUTHORIZATION": f"Bearer {make_token(admin)}"})
    response = api.patch(URL, {"whitelist_users": ["group:dev-team"]})
    assert response.status_code == 200, response.content
    bad = api.patch(URL, {"blacklist_users": ["group:dev-team"]})
    assert bad.status_code == 400
    assert "whitelist only" in str(bad.json())


def test_evaluation_lane__groups_held__answers_without_django(
    client: Client,
    answered: list[str],  # noqa: F811
) -> None:
    make_flag("hub", whitelist_users=["group:dev-team"])
    svc = _member("svc", "dev-team", perms=("view_flag",))
    token_cache.clear()
    lane = Lane({"HTTP_AUTHORIZATION": f"Bearer {make_token(svc, 'read')}"})
    cold = lane.get(URL)  # Django: caches the token and the caller's groups
    warm = lane.get(URL)
    assert answered == [URL]
    assert cold.json()["reason"] == warm.json()["reason"] == "WHITELISTED"


def test_ofrep__context_groups__whitelisted_and_malformed_refused(client: Client) -> None:
    make_flag("hub", whitelist_users=["group:dev-team"])
    svc = make_user("svc", ("view_flag",))
    api = Api(client, {"HTTP_AUTHORIZATION": f"Bearer {make_token(svc, 'read')}"})
    path = "/ofrep/v1/evaluate/flags/hub"
    member = api.post(path, {"context": {"targetingKey": "x", "groups": ["dev-team"]}})
    assert member.json()["metadata"]["reason"] == "WHITELISTED"
    _member("bob", "dev-team")  # groups come from the context only, never looked up
    unnamed = api.post(path, {"context": {"targetingKey": "bob"}})
    assert unnamed.json()["metadata"]["reason"] == "DEFAULT"
    bad = api.post(path, {"context": {"targetingKey": "x", "groups": "dev-team"}})
    assert bad.status_code == 400 and bad.json()["errorCode"] == "INVALID_CONTEXT"


# --- admin and shell ---------------------------------------------------------------------------


def test_admin__whitelist_group_typed_in_the_form__saved_and_who_sees_it_answers(
    admin_client: Client,
) -> None:
    flag = make_flag("hub")
    _member("bob", "dev-team")
    url = reverse("admin:flags_flag_change", args=[flag.pk])
    form = open_admin_form(admin_client, url)
    response = post_as_browser(
        admin_client, url, list(form.filled(whitelist_users="group:dev-team").items())
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = flag_get(name="hub")
    assert saved is not None and saved.whitelist_users == ["group:dev-team"]

    page = admin_client.get(url, {"who_sees": "bob"}).content.decode()
    assert "WHITELISTED" in page and "<code>group:dev-team</code>" in page


def test_shell__whitelist_add_group_then_check() -> None:
    make_flag("hub")
    _member("bob", "dev-team")
    call_command("flags", "whitelist", "add", "hub", "group:dev-team", stdout=StringIO())
    out = StringIO()
    call_command("flags", "check", "hub", "bob", stdout=out)
    assert out.getvalue().strip() == (
        "hub for bob: ON (WHITELISTED, version 2); groups: group:dev-team"
    )
