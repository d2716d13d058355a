"""The provider's access tokens on the API: `Authorization: Bearer <JWT>`.

Accepted only when OIDC_API_AUDIENCE is set, and only a JWT signed by the provider's published
keys, for that audience, from the configured issuer, not expired (llmhub/sso/tokens.py). It
names a user by the username claim, who must have an account here and be active; the request
then carries the same kind of identity as the project's API tokens (flags/api/token_services):
that user's permissions, scope write when the token's `scope` holds OIDC_API_WRITE_SCOPE, else
read. Project tokens (`lhk_...`) and sessions are unaffected.

A verified token is remembered by its hash until it expires (at most API_TOKEN_CACHE_SECONDS),
so a warm request verifies no signature and makes no query.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import status
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import APIException, AuthenticationFailed
from rest_framework.request import Request

from llmhub.api.authentication import credential
from llmhub.api.tokens.models import ApiToken
from llmhub.api.tokens.services import TokenIdentity
from llmhub.sso.errors import SignInRefused
from llmhub.sso.identity import claim
from llmhub.sso.tokens import verified_claims

LABEL = "provider access token"
MAX_JWT_LENGTH = 16_384
MAX_CACHED = 10_000


class ProviderUnavailable(APIException):
    """The provider's keys could not be fetched: the token can be neither accepted nor refused."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The identity provider's keys cannot be fetched; try again shortly."
    default_code = "provider_unavailable"
    retry_after = 30


def looks_like_jwt(raw: str) -> bool:
    return raw.startswith("eyJ") and raw.count(".") == 2 and len(raw) <= MAX_JWT_LENGTH


class _Verified:
    """sha256(token) -> (expires at, identity)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, TokenIdentity]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> TokenIdentity | None:
        entry = self._entries.get(key)
        return entry[1] if entry is not None and entry[0] > time.time() else None

    def put(self, key: str, until: float, identity: TokenIdentity) -> None:
        with self._lock:
            if len(self._entries) >= MAX_CACHED:
                self._entries.clear()
            self._entries[key] = (until, identity)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


verified = _Verified()


def _identity(claims: dict[str, Any]) -> TokenIdentity:
    username = claim(claims, settings.OIDC_USERNAME_CLAIM)
    user = get_user_model().objects.filter(username=username).first() if username else None
    if user is None or not user.is_active:
        raise AuthenticationFailed(
            "The access token names no active account here (sign in to the site once first)."
        )
    scopes = str(claims.get("scope") or "").split()
    scope = ApiToken.Scope.WRITE if settings.OIDC_API_WRITE_SCOPE in scopes else ApiToken.Scope.READ
    permissions = frozenset({"*"} if user.is_superuser else user.get_all_permissions())
    # A negative id: counted under its own user's quota, never a project token's.
    return TokenIdentity(-user.pk, "oidc", LABEL, scope, user, permissions)


class ProviderTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, TokenIdentity] | None:
        if not (settings.SSO_ENABLED and settings.OIDC_API_AUDIENCE):
            return None
        raw = credential(request._request.META)
        if raw is None or not looks_like_jwt(raw):
            return None  # a project token, or none: the next authentication decides
        key = hashlib.sha256(raw.encode()).hexdigest()
        identity = verified.get(key)
        if identity is None:
            try:
                claims = verified_claims(raw, audience=settings.OIDC_API_AUDIENCE)
            except SignInRefused as refused:
                if refused.status == 503:
                    raise ProviderUnavailable() from None
                raise AuthenticationFailed(refused.message) from None
            identity = _identity(claims)
            until = min(float(claims["exp"]), time.time() + settings.API_TOKEN_CACHE_SECONDS)
            verified.put(key, until, identity)
        return identity.user, identity

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ProviderTokenScheme(OpenApiAuthenticationExtension):
    """Documents the provider's access tokens in the OpenAPI schema: Bearer, a JWT."""

    target_class = "llmhub.sso.api_auth.ProviderTokenAuthentication"
    name = "ProviderJWT"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
