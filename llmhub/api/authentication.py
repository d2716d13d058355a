"""Who is calling: API tokens (`Authorization: Bearer` or `X-API-Key`) and the client address.

A token this process has not yet seen valid is a credential check against the database: those
are throttled per client address (the `login` rate), and refused (503) while the shared counter
is unavailable, so nobody can guess tokens at full speed while Redis is down.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.request import Request
from rest_framework.settings import api_settings

from llmhub.api.exceptions import ThrottleUnavailable
from llmhub.api.ratelimit import CounterUnavailable, limiter, parse_rate
from llmhub.api.tokens.models import token_hash
from llmhub.api.tokens.services import TokenIdentity, token_cache

MAX_TOKEN_LENGTH = 200


def client_address(request: Any) -> str:
    """REMOTE_ADDR, or the X-Forwarded-For entry added by the outermost trusted proxy.

    With `NUM_PROXIES` trusted proxies, each appends the address it received from, so the
    client's address is the NUM_PROXIES-th entry from the right; anything to its left was
    written by the client and is ignored. A header shorter than that did not come through our
    proxies: REMOTE_ADDR then.
    """
    meta = request.META
    remote = str(meta.get("REMOTE_ADDR") or "unknown")
    proxies = int(api_settings.NUM_PROXIES or 0)
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in str(forwarded).split(",")]
    if len(hops) < proxies:
        return remote
    candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def credential(meta: Mapping[str, Any]) -> str | None:
    """The token from `Authorization: Bearer` or `X-API-Key` (None: no token offered)."""
    header = meta.get("HTTP_AUTHORIZATION")
    if header:
        scheme, _, value = str(header).partition(" ")
        if scheme.lower() == "bearer":
            return value.strip()
        return None  # another scheme: not ours (session auth may still apply)
    key = meta.get("HTTP_X_API_KEY")
    return str(key).strip() if key else None


def well_formed(raw: str) -> bool:
    return bool(raw) and len(raw) <= MAX_TOKEN_LENGTH and raw.isascii()


def _check_login_rate(request: Request) -> None:
    rate = api_settings.DEFAULT_THROTTLE_RATES.get("login")
    if not rate:
        return
    limit, period = parse_rate(rate)
    try:
        verdict = limiter.hit_strict(f"login:{client_address(request)}", limit, period)
    except CounterUnavailable:
        raise ThrottleUnavailable() from None
    if not verdict.allowed:
        raise Throttled(wait=verdict.retry_after)


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <token>` or `X-API-Key: <token>`."""

    def authenticate(self, request: Request) -> tuple[Any, TokenIdentity] | None:
        raw = credential(request._request.META)
        if raw is None:
            return None
        if not well_formed(raw):
            raise AuthenticationFailed("Malformed API token.")
        key_hash = token_hash(raw)
        identity = token_cache.fresh(key_hash)
        if identity is None:
            if not token_cache.known(key_hash):
                _check_login_rate(request)
            identity = token_cache.load(key_hash)
        if identity is None:
            raise AuthenticationFailed("Invalid or revoked API token.")
        return identity.user, identity

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
