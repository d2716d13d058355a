"""Template context: whether the login page offers the company sign-in."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def sso(request: HttpRequest) -> dict[str, bool]:
    return {"sso_enabled": settings.SSO_ENABLED}
