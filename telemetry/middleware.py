"""First in MIDDLEWARE: request ids, api_call timings, error, client error and security events,
metrics.

A server error is a 5xx answer (an unhandled exception is answered 500); a 4xx is the
client's error and is never recorded as an `error` event: it would inflate the error rate
the rollout is judged by.

Per request it costs a few microseconds plus, only when the request recorded events someone
asked us to keep, one bulk insert before the response leaves.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError

from llmhub.api.errors import error_body, is_api_path
from telemetry import buffer, metrics
from telemetry.context import RequestContext, current, request_id_from
from telemetry.recording import record_api_call, record_event, user_id_of

logger = logging.getLogger("telemetry.middleware")

SECURITY_STATUSES = {401: "unauthorized", 403: "forbidden", 429: "throttled"}
# What Django's exception handling answers with a 4xx (django.core.handlers.exception).
CLIENT_EXCEPTIONS = (
    Http404,
    PermissionDenied,
    BadRequest,
    SuspiciousOperation,
    MultiPartParserError,
)


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
        api = is_api_path(request.path)
        if status >= 500:
            _record_server_error(request, route, status, api=api)
        elif status in SECURITY_STATUSES:
            _record_denied(request, route, status)
        elif status >= 400 and not api:  # an API request's api_call carries its status
            _record_client_error(request, route, status)
        if api:
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
        """A view raised. Django answers the exceptions that mean bad input (404, 403, 400)
        itself; those are client errors, counted as such when the response is ready (`_after`).

        Any other exception is a server error: kept here and recorded once the response is
        known, with its traceback in the log line and none in the response. API clients get
        the project's JSON error shape with the request id to quote.
        """
        if isinstance(exception, CLIENT_EXCEPTIONS):
            request._telemetry_client_error = type(exception).__name__  # type: ignore[attr-defined]
            return None
        request._telemetry_exception = exception  # type: ignore[attr-defined]
        # Tells the got_request_exception receiver that this one is recorded here.
        request._telemetry_error_recorded = True  # type: ignore[attr-defined]
        if not is_api_path(request.path):
            return None
        ctx = current.get()
        return _server_error(ctx.request_id if ctx else "")


def _answered(request: HttpRequest, route: str, status: int) -> dict[str, Any]:
    """Who asked for what and how it was answered, as the events about a request record it."""
    return {
        "user_id": _user_id(request),
        "path": request.path,
        "method": request.method,
        "status": status,
        "page": route,
    }


def _record_denied(request: HttpRequest, route: str, status: int) -> None:
    """401, 403, 429: a `security` event at WARNING (denied access is security-relevant by
    itself), committed before the response like every event someone may need to audit."""
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


def _record_server_error(request: HttpRequest, route: str, status: int, *, api: bool) -> None:
    """One `error` event per request answered 5xx: an unhandled exception (with its
    traceback) or a 5xx response (a database outage's 503, say).

    Not again when the request already holds one (the got_request_exception receiver's, for
    an exception raised outside the view, or the view's own), and not for a plain 5xx API
    response: its api_call event already counts it.
    """
    exception: BaseException | None = getattr(request, "_telemetry_exception", None)
    ctx = current.get()
    already = ctx is not None and any(row["event_type"] == "error" for row in ctx.pending)
    if already or (exception is None and api):
        return
    properties: dict[str, Any] = {"unhandled": exception is not None}
    if exception is not None:
        properties["error_class"] = type(exception).__name__
    record_event(
        "error",
        level=logging.ERROR,
        exc_info=(type(exception), exception, exception.__traceback__) if exception else None,
        **_answered(request, route, status),
        properties=properties,
    )


def _record_client_error(request: HttpRequest, route: str, status: int) -> None:
    """A page answered 4xx (a missing tab or key, a bad form): counted as a client error,
    never as a server error. Automatic and possibly frequent (a scanner's 404s), so it goes
    to the process buffer like api_call, not into the request's commit."""
    properties: dict[str, Any] = {}
    reason = getattr(request, "_telemetry_client_error", None)
    if reason is not None:
        properties["error_class"] = reason
    record_event(
        "warning",
        level=logging.WARNING,
        deferred=True,
        action="client_error",
        **_answered(request, route, status),
        properties=properties,
    )


def _user_id(request: HttpRequest) -> str:
    """Who made the request, or "" when that cannot be known. With the database down, the lazy
    user's session cannot load (a first access raises DatabaseError, a second Django's
    AttributeError on `_session_cache`): recording the outage's 503 must not make it a 500."""
    try:
        return user_id_of(getattr(request, "user", None))
    except (DatabaseError, AttributeError):
        return ""


def _server_error(request_id: str) -> HttpResponse:
    message = f"Internal error. Quote request id {request_id} when reporting it."
    return JsonResponse(error_body("server_error", message), status=500)
