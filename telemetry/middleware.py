"""First in MIDDLEWARE: request ids, api_call timings, error and security events, metrics.

Per request it costs a few microseconds plus, only when the request recorded events someone
asked us to keep, one bulk insert before the response leaves.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse

from telemetry import buffer, metrics
from telemetry.context import RequestContext, current, request_id_from
from telemetry.recording import record_api_call, record_event, user_id_of

logger = logging.getLogger("telemetry.middleware")

API_PREFIXES = ("/api/", "/ofrep/")
SECURITY_STATUSES = {401: "unauthorized", 403: "forbidden", 429: "throttled"}


def route_of(request: HttpRequest) -> str:
    """The URL pattern that answered (a bounded label), not the raw path."""
    route = getattr(request, "route", None)  # set by answers given before URL resolution
    if route is not None:
        return str(route)
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "<unmatched>"
    return "/" + str(match.route) if match.route else (match.view_name or "<unnamed>")


class TelemetryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # Web processes start the flusher of api_call events and flag counts here.
        buffer.process_buffer.start()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # META, not request.headers: that would build a dict of every header on each request.
        request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id  # type: ignore[attr-defined]
        ctx = RequestContext(request_id=request_id, request=request)
        token = current.set(ctx)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            self._after(request, response, seconds)
        finally:
            buffer.write_now(ctx.pending)
            current.reset(token)
        response["X-Request-ID"] = request_id
        return response

    def _after(self, request: HttpRequest, response: HttpResponse, seconds: float) -> None:
        route = route_of(request)
        status = response.status_code
        metrics.observe_request(route, request.method or "", status, seconds)
        if status in SECURITY_STATUSES:
            record_event(
                "security",
                level=logging.WARNING,
                action=SECURITY_STATUSES[status],
                path=request.path,
                method=request.method,
                status=status,
                page=route,
                properties={"remote_addr": request.META.get("REMOTE_ADDR", "")},
            )
        if request.path.startswith(API_PREFIXES):
            try:
                record_api_call(
                    page=route,
                    path=request.path,
                    method=request.method or "",
                    status=status,
                    seconds=seconds,
                )
            except Exception:  # telemetry must not break what it watches
                logger.exception("api_call event could not be recorded")

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A view raised: log it with its traceback, store an error event, answer without one.

        API clients get the project's JSON error shape with the request id to quote. A
        `SuspiciousOperation` (bad input: too many fields, a disallowed host) is not a server
        error: Django answers it with 400 (handler400) and logs it to django.security.
        """
        if isinstance(exception, SuspiciousOperation):
            return None
        ctx = current.get()
        request._telemetry_error_recorded = True  # type: ignore[attr-defined]
        record_event(
            "error",
            level=logging.ERROR,
            exc_info=(type(exception), exception, exception.__traceback__),
            user_id=user_id_of(getattr(request, "user", None)),
            path=request.path,
            method=request.method,
            status=500,
            page=route_of(request),
            properties={"error_class": type(exception).__name__, "unhandled": True},
        )
        if not request.path.startswith(API_PREFIXES):
            return None
        return _server_error(ctx.request_id if ctx else "")


def _server_error(request_id: str) -> HttpResponse:
    body: dict[str, Any] = {
        "error": {
            "code": "server_error",
            "message": f"Internal error. Quote request id {request_id} when reporting it.",
            "fields": {},
        }
    }
    return JsonResponse(body, status=500)
