"""The provider's JWT access tokens on the API, from a real provider (tests/oidc).

A command-line client gets an access token for the API's audience through the provider's login
(authorization code with PKCE, `resource=`); the API takes it as the same user, with the same
permissions and a scope from the token's. Expired, tampered and foreign tokens get 401.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urljoin, urlparse

import pytest
import requests
from django.test import Client

from flags.tests.api.conftest import Api, make_flag, make_user
from llmhub.sso.api_auth import verified
from tests.sso.conftest import sso_settings
from tests.sso.provider import (
    ACCOUNTS,
    API_AUDIENCE,
    CLI_CLIENT_ID,
    CLI_REDIRECT,
    Provider,
    oidc_provider,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/features/hub"


def access_token(provider: Provider, username: str, scope: str = "openid llmhub:read") -> str:
    """What a CLI does: PKCE code flow through the login page, `resource=` the API."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    common = {"client_id": CLI_CLIENT_ID, "redirect_uri": CLI_REDIRECT, "resource": API_AUDIENCE}
    browser = requests.Session()
    page = browser.get(
        f"{provider.issuer}/auth",
        params={
            **common,
            "response_type": "code",
            "scope": scope,
            "state": "s",
            "code_challenge": challenge.decode().rstrip("="),
            "code_challenge_method": "S256",
        },
        timeout=10,
    )
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action, page.text[:500]
    answer = browser.post(
        urljoin(page.url, action.group(1)),
        data={"username": username, "password": ACCOUNTS[username]["password"]},
        allow_redirects=False,
        timeout=10,
    )
    while not answer.headers["Location"].startswith(CLI_REDIRECT):
        answer = browser.get(
            urljoin(answer.url, answer.headers["Location"]), allow_redirects=False, timeout=10
        )
    code = parse_qs(urlparse(answer.headers["Location"]).query)["code"][0]
    tokens = requests.post(
        f"{provider.issuer}/token",
        data={**common, "grant_type": "authorization_code", "code": code}
        | {"code_verifier": verifier},
        timeout=10,
    ).json()
    return str(tokens["access_token"])


@pytest.fixture
def provider() -> Iterator[Provider]:
    with oidc_provider("http://127.0.0.1:1") as running:
        yield running


@pytest.fixture
def api_sso(provider: Provider) -> Iterator[None]:
    verified.clear()
    with sso_settings(provider.issuer, OIDC_API_AUDIENCE=API_AUDIENCE):
        yield
    verified.clear()


def _bearer(client: Client, token: str) -> Api:
    return Api(client, {"HTTP_AUTHORIZATION": f"Bearer {token}"})


def test_access_token__the_same_user_and_permissions__read_scope(
    client: Client, provider: Provider, api_sso: None, django_assert_num_queries: Any
) -> None:
    make_flag("hub", whitelist_users=["group:dev-team"])
    alice = make_user("alice", ("view_flag", "change_flag"))
    alice.groups.create(name="dev-team")
    token = access_token(provider, "alice")
    assert token.startswith("eyJ")
    api = _bearer(client, token)
    answer = api.get(URL)
    assert (answer.status_code, answer.json()["reason"]) == (200, "WHITELISTED")
    assert "config" in answer.json()  # a privileged client, as with a project token
    with django_assert_num_queries(0):  # warm: no signature check, no query
        assert api.get(URL).json()["reason"] == "WHITELISTED"

    refused = api.patch(URL, {"rollout_percentage": 10})
    assert refused.status_code == 403 and "read-only" in refused.json()["error"]["message"]


def test_access_token__write_scope__writes_audited_as_the_user(
    client: Client, provider: Provider, api_sso: None
) -> None:
    make_flag("hub")
    make_user("alice", ("view_flag", "change_flag"))
    token = access_token(provider, "alice", "openid llmhub:read llmhub:write")
    answer = _bearer(client, token).patch(URL, {"rollout_percentage": 10})
    assert answer.status_code == 200, answer.content
    history = _bearer(client, token).get(f"{URL}/history").json()["results"]
    assert history[0]["actor"].startswith("alice")


def test_tampered_token__401(client: Client, provider: Provider, api_sso: None) -> None:
    make_flag("hub")
    make_user("alice", ("view_flag",))
    header, payload, signature = access_token(provider, "alice").split(".")
    claims = base64.urlsafe_b64decode(payload + "==").replace(b'"alice"', b'"admin"')
    forged = base64.urlsafe_b64encode(claims).decode().rstrip("=")
    answer = _bearer(client, f"{header}.{forged}.{signature}").get(URL)
    assert answer.status_code == 401
    assert "signature" in answer.json()["error"]["message"]
    assert answer["WWW-Authenticate"] == 'Bearer realm="api"'


def test_expired_token__401(client: Client) -> None:
    make_flag("hub")
    make_user("alice", ("view_flag",))
    with oidc_provider("http://127.0.0.1:1", clock_offset_seconds=-900) as late:
        token = access_token(late, "alice")
        with sso_settings(late.issuer, OIDC_API_AUDIENCE=API_AUDIENCE):
            answer = _bearer(client, token).get(URL)
    assert answer.status_code == 401 and "expired" in answer.json()["error"]["message"]


def test_token_for_another_audience__401(client: Client, provider: Provider, api_sso: None) -> None:
    make_flag("hub")
    make_user("alice", ("view_flag",))
    token = access_token(provider, "alice")
    with sso_settings(provider.issuer, OIDC_API_AUDIENCE="https://other.example.com/api"):
        answer = _bearer(client, token).get(URL)
    assert answer.status_code == 401 and "audience" in answer.json()["error"]["message"].lower()


def test_no_account_here__401(client: Client, provider: Provider, api_sso: None) -> None:
    make_flag("hub")
    answer = _bearer(client, access_token(provider, "bob")).get(URL)
    assert answer.status_code == 401 and "no active account" in answer.json()["error"]["message"]


def test_audience_not_configured__provider_tokens_not_accepted(
    client: Client, provider: Provider
) -> None:
    make_flag("hub")
    make_user("alice", ("view_flag",))
    token = access_token(provider, "alice")
    with sso_settings(provider.issuer):
        assert _bearer(client, token).get(URL).status_code == 401


def test_provider_down__503_not_401(client: Client, provider: Provider) -> None:
    make_flag("hub")
    make_user("alice", ("view_flag",))
    token = access_token(provider, "alice")
    provider.stop()
    verified.clear()
    with sso_settings(provider.issuer, OIDC_API_AUDIENCE=API_AUDIENCE):
        answer = _bearer(client, token).get(URL)
    assert answer.status_code == 503
    assert answer.json()["error"]["code"] == "provider_unavailable"
