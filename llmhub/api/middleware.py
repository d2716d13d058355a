"""API middleware: login throttling, and the JSON 404 for API paths under DEBUG.

Throttle password logins (the admin login form) like API token checks: per client address.

Every POST to the login form counts against the `login` rate (shared with first-time token
checks, so one address gets one budget of credential guesses). Counted strictly in the cache;
when the cache is down, logins are refused with 503 (fail closed) rather than left unlimited.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from rest_framework.settings import api_settings

from llmhub.api.authentication import client_address
from llmhub.api.errors import is_api_path
from llmhub.api.handlers import json_not_found
from llmhub.api.ratelimit import CounterUnavailable, limiter, parse_rate


def _login_paths() -> frozenset[str]:
    try:
        return frozenset({reverse("admin:login")})
    except NoReverseMatch:
        return frozenset()


class LoginThrottleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._paths: frozenset[str] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            if self._paths is None:
                self._paths = _login_paths()
            if request.path in self._paths:
                refusal = self._refusal(request)
                if refusal is not None:
                    return refusal
        return self.get_response(request)

    @staticmethod
    def _refusal(request: HttpRequest) -> HttpResponse | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get("login")
        if not rate:
            return None
        limit, period = parse_rate(rate)
        try:
            verdict = limiter.hit_strict(f"login:{client_address(request)}", limit, period)
        except CounterUnavailable:
            return _plain(503, "Logins are unavailable for a moment; try again shortly.", 5)
        if verdict.allowed:
            return None
        wait = verdict.retry_after
        return _plain(429, f"Too many login attempts; try again in {wait} seconds.", wait)


def _plain(status: int, message: str, retry_after: int) -> HttpResponse:
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    return response


class DebugJsonNotFoundMiddleware:
    """With DEBUG on (`make run`), an API path no route matches still gets the JSON 404.

    Why: under DEBUG, Django answers an unmatched URL with its technical HTML page instead of
    handler404, so `make run` gave API clients HTML where production gives the error shape.
    Off DEBUG it leaves the stack (handler404 answers JSON there); other paths keep Django's page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not settings.DEBUG:
            raise MiddlewareNotUsed()
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 404 and _html_for_api(request, response):
            return json_not_found(request)
        return response


def _html_for_api(request: HttpRequest, response: HttpResponse) -> bool:
    html = str(response.get("Content-Type", "")).startswith("text/html")
    return html and is_api_path(request.path)
