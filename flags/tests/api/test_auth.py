"""Authentication and authorisation: tokens, scopes, model permissions, sessions, CSRF."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from flags.models import Flag
from flags.tests.api.conftest import ALL_FLAG_PERMS, Api, error_of, make_flag, make_user
from llmhub.actors import Actor
from llmhub.api.tokens import services as token_services
from llmhub.api.tokens.models import ApiToken
from llmhub.api.tokens.services import token_cache, token_revoke

pytestmark = pytest.mark.django_db
BASE = "/api/v1/features/"


def test_token__bearer_and_x_api_key__both_authenticate(api_for: Callable[..., Api]) -> None:
    make_flag("hub", rollout_percentage=100)
    user = make_user("svc", ("view_flag",))
    for header in ("bearer", "x-api-key"):
        response = api_for(user, "read", header=header).get(f"{BASE}hub")
        assert response.status_code == 200, header


def test_token__unknown__401_with_challenge() -> None:
    response = Client().get(f"{BASE}hub", HTTP_AUTHORIZATION="Bearer lhk_nope_nope")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert error_of(response)["code"] == "authentication_failed"


def test_token__stored_hashed_with_prefix_only(api_for: Callable[..., Api]) -> None:
    api = api_for(make_user("svc", ("view_flag",)), "read")
    raw = api.headers["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    token = ApiToken.objects.get()
    assert raw not in {token.key_hash, token.prefix, token.label}
    assert raw.startswith(token.prefix)


def test_token__revoked__refused_at_once_here(api_for: Callable[..., Api]) -> None:
    make_flag("hub")
    api = api_for(make_user("svc", ("view_flag",)), "read")
    assert api.get(f"{BASE}hub").status_code == 200

    token_revoke(token=ApiToken.objects.get(), actor=Actor.system("test"))

    assert api.get(f"{BASE}hub").status_code == 401


def test_token__revoked_elsewhere__refused_once_the_cache_entry_expires(
    api_for: Callable[..., Api], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process revoked it: this process learns within API_TOKEN_CACHE_SECONDS."""
    make_flag("hub")
    api = api_for(make_user("svc", ("view_flag",)), "read")
    assert api.get(f"{BASE}hub").status_code == 200
    ApiToken.objects.update(revoked_at="2026-01-01T00:00:00Z")  # not through this process
    assert api.get(f"{BASE}hub").status_code == 200  # still cached here

    real = token_services.time.monotonic
    monkeypatch.setattr(token_services.time, "monotonic", lambda: real() + 61)

    assert api.get(f"{BASE}hub").status_code == 401


def test_token__warm_evaluation__makes_no_database_query(api_for: Callable[..., Api]) -> None:
    make_flag("hub", rollout_percentage=50)
    api = api_for(make_user("svc", ("view_flag",)), "read")
    assert api.get(f"{BASE}hub?user_id=bob").status_code == 200  # warms token, store, config

    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"{BASE}hub?user_id=carol")

    assert response.status_code == 200 and response.json()["config"]["name"] == "hub"
    assert [q["sql"] for q in queries.captured_queries] == []


def test_read_token__lists_and_evaluates_but_cannot_write(api_for: Callable[..., Api]) -> None:
    make_flag("hub")
    api = api_for(make_user("svc", ALL_FLAG_PERMS), "read")

    assert api.get(BASE).status_code == 200
    assert api.get(f"{BASE}hub?user_id=x").status_code == 200
    response = api.post(f"{BASE}hub/disable")

    assert response.status_code == 403
    assert "read-only" in error_of(response)["message"]
    assert Flag.objects.get(name="hub").enabled


@pytest.mark.parametrize(
    ("perms", "method", "path", "body"),
    [
        ((), "get", f"{BASE}hub", None),
        (("view_flag",), "post", BASE, {"name": "new"}),
        (("view_flag",), "patch", f"{BASE}hub", {"description": "x"}),
        (("view_flag", "change_flag"), "delete", f"{BASE}hub", None),
    ],
)
def test_write_token__lacking_model_permission__403(
    api_for: Callable[..., Api], perms: tuple, method: str, path: str, body: object
) -> None:
    make_flag("hub")
    api = api_for(make_user("svc", perms), "write")
    response = api.call(method.upper(), path, body)
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"


def _session(user_name: str, perms: tuple = (), *, staff: bool = False) -> Client:
    user = make_user(user_name, perms, staff=staff)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_session__plain_user__evaluates_for_themself_only() -> None:
    make_flag("hub", whitelist_users=["bob"])
    client = _session("bob")

    own = client.get(f"{BASE}hub")
    other = client.get(f"{BASE}hub?user_id=alice")

    assert own.status_code == 200
    assert (own.json()["enabled"], own.json()["reason"]) == (True, "WHITELISTED")
    assert "config" not in own.json()
    assert other.status_code == 403
    assert client.get(f"{BASE}user/alice/enabled").status_code == 403
    assert client.get(f"{BASE}user/bob/enabled").json()["enabled"] == ["hub"]
    assert client.get(BASE).status_code == 403


def test_session__staff_with_view_flag__is_privileged() -> None:
    make_flag("hub")
    client = _session("lead", ("view_flag",), staff=True)
    body = client.get(f"{BASE}hub?user_id=alice").json()
    assert body["config"]["name"] == "hub"


def test_session__write_without_csrf__403_and_nothing_changes() -> None:
    make_flag("hub")
    client = _session("lead", ALL_FLAG_PERMS, staff=True)

    response = client.post(f"{BASE}hub/disable", content_type="application/json")

    assert response.status_code == 403
    assert "CSRF" in error_of(response)["message"]
    assert Flag.objects.get(name="hub").enabled


def test_session__write_with_csrf__audited_as_the_user() -> None:
    make_flag("hub")
    client = _session("lead", ALL_FLAG_PERMS, staff=True)
    client.get("/admin/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value

    response = client.post(
        f"{BASE}hub/disable", content_type="application/json", HTTP_X_CSRFTOKEN=token
    )

    assert response.status_code == 200
    change = Flag.objects.get(name="hub").changes.order_by("-version").first()
    assert change is not None and (change.actor, change.actor_kind) == ("lead", "user")


def test_token_cache__inactive_user__refused(api_for: Callable[..., Api]) -> None:
    user = make_user("svc", ("view_flag",))
    api = api_for(user, "read")
    user.is_active = False
    user.save()
    token_cache.clear()
    assert api.get(BASE).status_code == 401
