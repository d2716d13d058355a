"""Throttling per API token, per user and per client address (DRF's default for every view).

Each counts reads and writes separately. Writes are counted strictly in the shared cache and
refused with 503 when it is unavailable (fail closed); reads are counted leniently and keep
working, limited per process, while it is down (fail open). See `llmhub.api.ratelimit`.
A view may set `throttle_kind = "read"` for a POST that changes nothing (OFREP evaluation).
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from llmhub.api.authentication import client_address
from llmhub.api.exceptions import ThrottleUnavailable
from llmhub.api.ratelimit import CounterUnavailable, Verdict, limiter, parse_rate
from llmhub.api.tokens.services import TokenIdentity


def request_kind(request: Request, view: Any) -> str:
    declared = getattr(view, "throttle_kind", None)
    if declared:
        return str(declared)
    return "read" if request.method in SAFE_METHODS else "write"


def _idents(request: Request) -> list[tuple[str, str]]:
    """(scope, identity) pairs this request is counted under."""
    idents = [("address", client_address(request))]
    auth = request.auth
    if isinstance(auth, TokenIdentity):
        idents.append(("token", str(auth.token_id)))
    user = request.user
    if user is not None and user.is_authenticated:
        idents.append(("user", str(user.pk)))
    return idents


def _hit(key: str, limit: int, period: int, kind: str) -> Verdict:
    if kind == "read":
        return limiter.hit_lenient(key, limit, period)
    try:
        return limiter.hit_strict(key, limit, period)
    except CounterUnavailable:
        raise ThrottleUnavailable() from None


def count_request(idents: list[tuple[str, str]], kind: str) -> int:
    """Count one request under each (scope, identity); 0 if allowed, else seconds to wait."""
    rates = api_settings.DEFAULT_THROTTLE_RATES
    refused = 0
    for scope, ident in idents:
        rate = rates.get(f"{scope}.{kind}")
        if not rate:
            continue
        limit, period = parse_rate(rate)
        verdict = _hit(f"{scope}.{kind}:{ident}", limit, period, kind)
        if not verdict.allowed:
            refused = max(refused, verdict.retry_after)
    return refused


class ApiRateThrottle(BaseThrottle):
    """One throttle for the three scopes (one pass instead of three classes: it is per request)."""

    def __init__(self) -> None:
        self._wait: int | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        refused = count_request(_idents(request), request_kind(request, view))
        self._wait = refused or None
        return not refused

    def wait(self) -> float | None:
        return self._wait
