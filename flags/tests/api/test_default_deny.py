"""Default deny: every URL pattern of the project, asked anonymously, refuses (401/403, or a
browser page's redirect to the login form). Only the allow-list below is public."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

# Public on purpose. Add health checks here explicitly, nothing else (and the site icon, which
# browsers ask for on the login page too: 140 bytes of a static file).
PUBLIC = {
    "admin/login/",  # the login form itself
    "admin/logout/",  # logging out someone who is not logged in changes nothing
    # The company sign-in's start and the provider's answer: signing in (404 unless configured).
    "oidc/authenticate/",
    "oidc/callback/",
    "healthz",
    "readyz",
    "favicon.ico",
    # A trigger URL's secret is its credential (Alertmanager and pagers send no token); a wrong
    # one answers 404 (notifications/tests/test_triggers.py).
    "api/v1/triggers/<str:secret>",
}
METHODS = ("get", "post", "put", "patch", "delete")
_CONVERTER = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


def _patterns(patterns: list, prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def _concrete(pattern: str) -> str:
    """A URL the pattern matches: sample values for its parameters."""
    url = _CONVERTER.sub(lambda m: "1" if m["conv"] in ("int", "path") else "sample", pattern)
    url = _REGEX_GROUP.sub(lambda m: "flags" if m["name"] == "app_label" else "sample", url)
    return "/" + url.replace("^", "").replace("$", "")


def _all_patterns() -> list[str]:
    return sorted(set(_patterns(get_resolver().url_patterns)))


def _denied(url: str, response: Any) -> bool:
    if response.status_code in (401, 403):
        return True
    if url.startswith(("/api/", "/ofrep/")):
        return False  # the API always says 401/403, before anything else
    # A browser page may redirect to the login form, or refuse a method it never serves.
    location = response.headers.get("Location", "")
    return (response.status_code == 302 and "/admin/login/" in location) or (
        response.status_code == 405
    )


def test_sweep_covers_the_api() -> None:
    patterns = _all_patterns()
    assert "api/v1/features/<str:name>" in patterns
    assert "ofrep/v1/evaluate/flags" in patterns


@pytest.mark.parametrize("pattern", _all_patterns())
def test_every_route__anonymous__is_refused(pattern: str) -> None:
    client = Client(enforce_csrf_checks=True)
    url = _concrete(pattern)
    if pattern in PUBLIC:
        # Public on purpose: it must really answer without credentials.
        assert client.get(url).status_code not in (401, 403), url
        return
    for method in METHODS:
        response = getattr(client, method)(url)
        assert _denied(url, response), f"{method.upper()} {url} -> {response.status_code}"
