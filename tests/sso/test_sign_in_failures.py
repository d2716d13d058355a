"""Every way a company sign-in fails ends on a page that says why, never a 500.

Against the real provider (tests/oidc): a wrong client secret, a tampered answer, an expired
token (the provider's clock behind), the provider down, a deactivated or unknown user.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from django.contrib.auth.models import User

from tests.sso.conftest import sign_in_http, sso_settings
from tests.sso.provider import Provider, oidc_provider

pytestmark = pytest.mark.django_db(transaction=True)


def _refusal(answer: Any) -> tuple[int, str]:
    """(status, reason) of the refusal page."""
    assert isinstance(answer, requests.Response), answer
    match = re.search(r'id="sso-refused" data-reason="([^"]+)"', answer.text)
    assert match, (answer.status_code, answer.text[:1500])
    return answer.status_code, match.group(1)


def test_signed_in__session_is_the_user(site: str) -> None:
    _, answer = sign_in_http(site, "alice", "alice-pw")
    assert isinstance(answer, requests.Response)
    assert answer.status_code == 200 and 'data-cohort="old_pages"' in answer.text  # no flag yet
    assert User.objects.get(username="alice").is_staff


def test_wrong_client_secret__401_page_naming_the_credentials(site: str) -> None:
    with sso_settings_of(site, OIDC_RP_CLIENT_SECRET="not-the-secret"):
        _, answer = sign_in_http(site, "alice", "alice-pw")
    status, reason = _refusal(answer)
    assert (status, reason) == (401, "invalid_client")
    assert "OIDC_CLIENT_SECRET" in answer.text
    assert not User.objects.filter(username="alice").exists()


def test_tampered_state__400_page(site: str) -> None:
    browser, callback = sign_in_http(site, "alice", "alice-pw", stop_at_callback=True)
    assert isinstance(callback, str)
    tampered = re.sub(r"state=[^&]+", "state=forged", callback)
    assert _refusal(browser.get(tampered, timeout=10)) == (400, "state")


def test_tampered_code__401_page(site: str) -> None:
    browser, callback = sign_in_http(site, "alice", "alice-pw", stop_at_callback=True)
    assert isinstance(callback, str)
    tampered = re.sub(r"code=[^&]+", "code=forged-code", callback)
    assert _refusal(browser.get(tampered, timeout=10)) == (401, "token_refused")


def test_replayed_callback__400_page(site: str) -> None:
    browser, callback = sign_in_http(site, "alice", "alice-pw", stop_at_callback=True)
    assert isinstance(callback, str)
    assert browser.get(callback, timeout=10).status_code == 200  # signed in
    assert _refusal(browser.get(callback, timeout=10)) == (400, "state")


def test_expired_id_token__provider_clock_behind__401_page(live_server: Any) -> None:
    # Tokens valid 10 minutes, issued by a clock 15 minutes behind: expired on arrival.
    with (
        oidc_provider(live_server.url, clock_offset_seconds=-900) as late,
        sso_settings(late.issuer),
    ):
        _, answer = sign_in_http(live_server.url, "alice", "alice-pw")
    assert _refusal(answer) == (401, "token_expired")


def test_provider_down_at_start__503_page(live_server: Any, provider: Provider) -> None:
    provider.stop()
    with sso_settings(provider.issuer):
        answer = requests.get(f"{live_server.url}/oidc/authenticate/", timeout=15)
    assert _refusal(answer) == (503, "provider_unavailable")
    assert answer.headers["Retry-After"] == "60"


def test_provider_down_before_the_callback__503_page(site: str, provider: Provider) -> None:
    browser, callback = sign_in_http(site, "alice", "alice-pw", stop_at_callback=True)
    provider.stop()
    assert isinstance(callback, str)
    assert _refusal(browser.get(callback, timeout=15)) == (503, "provider_unavailable")


def test_deactivated_user__403_page(site: str) -> None:
    User.objects.create_user("alice", is_active=False)
    _, answer = sign_in_http(site, "alice", "alice-pw")
    assert _refusal(answer) == (403, "inactive")
    assert "deactivated" in answer.text


def test_unknown_user_when_accounts_are_not_created__403_page(site: str) -> None:
    with sso_settings_of(site, OIDC_CREATE_USERS=False):
        _, answer = sign_in_http(site, "bob", "bob-pw")
    assert _refusal(answer) == (403, "unknown_user")
    assert not User.objects.filter(username="bob").exists()


def test_provider_says_no__user_cancels__page_with_its_words(site: str) -> None:
    browser = requests.Session()
    browser.get(f"{site}/oidc/authenticate/", timeout=10)
    state = next(iter(browser.cookies.keys()), "")  # any: the state is not in this session's
    answer = browser.get(
        f"{site}/oidc/callback/",
        params={"error": "access_denied", "error_description": "End-User aborted", "state": state},
        timeout=10,
    )
    status, reason = _refusal(answer)
    assert (status, reason) == (401, "access_denied") and "End-User aborted" in answer.text


def sso_settings_of(site: str, **more: Any) -> Any:
    """The site's sign-in settings (the `site` fixture's issuer) with `more` changed."""
    from django.conf import settings

    return sso_settings(settings.OIDC_ISSUER, **more)
