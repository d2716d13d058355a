"""Throttles per API token, per user and per client address (DRF's defaults for every view).

Each counts reads and writes separately. Writes are counted strictly in the shared cache and
refused with 503 when it is unavailable (fail closed); reads are counted leniently and keep
working, limited per process, while it is down (fail open). See `flags.api.ratelimit`.
A view may set `throttle_kind = "read"` for a POST that changes nothing (OFREP evaluation).
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from flags.api.auth import client_address
from flags.api.exceptions import ThrottleUnavailable
from flags.api.ratelimit import CounterUnavailable, limiter, parse_rate
from flags.api.token_services import TokenIdentity


def request_kind(request: Request, view: Any) -> str:
    declared = getattr(view, "throttle_kind", None)
    if declared:
        return str(declared)
    return "read" if request.method in SAFE_METHODS else "write"


class _ScopedThrottle(BaseThrottle):
    scope = ""

    def __init__(self) -> None:
        self._wait: int | None = None

    def ident(self, request: Request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: Request, view: Any) -> bool:
        ident = self.ident(request)
        if ident is None:
            return True
        kind = request_kind(request, view)
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(f"{self.scope}.{kind}")
        if not rate:
            return True
        limit, period = parse_rate(rate)
        key = f"{self.scope}.{kind}:{ident}"
        if kind == "read":
            verdict = limiter.hit_lenient(key, limit, period)
        else:
            try:
                verdict = limiter.hit_strict(key, limit, period)
            except CounterUnavailable:
                raise ThrottleUnavailable() from None
        self._wait = verdict.retry_after
        return verdict.allowed

    def wait(self) -> float | None:
        return self._wait


class TokenThrottle(_ScopedThrottle):
    scope = "token"

    def ident(self, request: Request) -> str | None:
        auth = request.auth
        return str(auth.token_id) if isinstance(auth, TokenIdentity) else None


class UserThrottle(_ScopedThrottle):
    scope = "user"

    def ident(self, request: Request) -> str | None:
        user = request.user
        return str(user.pk) if user is not None and user.is_authenticated else None


class AddressThrottle(_ScopedThrottle):
    scope = "address"

    def ident(self, request: Request) -> str | None:
        return client_address(request)
