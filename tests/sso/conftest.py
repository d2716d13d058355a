"""Fixtures of the sign-in tests: the site (Django's live server) and a real provider for it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from django.test import override_settings

from llmhub.sso import discovery
from tests.sso.provider import CLIENT_ID, CLIENT_SECRET, Provider, oidc_provider

BACKENDS = ["django.contrib.auth.backends.ModelBackend", "llmhub.sso.backend.CompanyOIDCBackend"]


def sso_settings(issuer: str, **more: Any) -> override_settings:
    """What OIDC_ISSUER, OIDC_CLIENT_ID, ... in the environment give (llmhub/settings/sso.py)."""
    values: dict[str, Any] = {
        "SSO_ENABLED": True,
        "OIDC_ISSUER": issuer,
        "OIDC_RP_CLIENT_ID": CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_RP_SCOPES": "openid email profile groups",
        "AUTHENTICATION_BACKENDS": BACKENDS,
        "OIDC_STAFF_ROLES": ["dev-team", "sales"],
        "OIDC_HUB_ROLES": ["dev-team", "sales"],
    }
    return override_settings(**{**values, **more})


@pytest.fixture(autouse=True)
def _fresh_discovery() -> Iterator[None]:
    discovery.forget()
    yield
    discovery.forget()


@pytest.fixture
def provider(live_server: Any) -> Iterator[Provider]:
    with oidc_provider(live_server.url) as running:
        yield running


@pytest.fixture
def site(live_server: Any, provider: Provider) -> Iterator[str]:
    """The live server with the company sign-in pointed at `provider`."""
    with sso_settings(provider.issuer):
        yield str(live_server.url)


def sign_in_http(
    base: str, username: str, password: str, *, stop_at_callback: bool = False
) -> tuple[requests.Session, requests.Response | str]:
    """A sign-in as a browser makes it, over HTTP: start, the provider's login form, back.

    Returns the session and the final answer, or (stop_at_callback) the callback URL the
    provider sent the browser to, not yet visited."""
    browser = requests.Session()
    page = browser.get(f"{base}/oidc/authenticate/", timeout=10)
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action, page.text[:500]
    answer = browser.post(
        urljoin(page.url, action.group(1)),
        data={"username": username, "password": password},
        allow_redirects=False,
        timeout=10,
    )
    while answer.status_code in (302, 303):
        location = urljoin(answer.url, answer.headers["Location"])
        if stop_at_callback and location.startswith(f"{base}/oidc/callback/"):
            return browser, location
        answer = browser.get(location, allow_redirects=False, timeout=10)
    return browser, answer
