"""One error shape for the whole API: `{"error": {"code", "message", "fields"?}}`.

`api_exception_handler` is DRF's EXCEPTION_HANDLER: it maps the flag services' errors, DRF's
own, and the database being unreachable (503 `database_unavailable` with Retry-After: a write,
an unseen token or any read that needs the database during an outage). `json_not_found` /
`json_server_error` are Django's handler404/handler500, answering JSON for API paths (a URL no
route matches, an unexpected crash) and the usual pages elsewhere; handler500 too answers 503
when what crashed was the database connection (llmhub/outage.py answers views' own raises).
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from flags.api.exceptions import DatabaseUnavailable, database_unavailable
from flags.errors import (
    FlagAlreadyExists,
    FlagError,
    FlagNotFound,
    FlagValidationError,
    StaleVersion,
    VersionNotFound,
)

logger = logging.getLogger(__name__)

API_PREFIXES = ("/api/", "/ofrep/")

FLAG_ERROR_STATUS: dict[type[FlagError], int] = {
    FlagValidationError: status.HTTP_400_BAD_REQUEST,
    FlagNotFound: status.HTTP_404_NOT_FOUND,
    VersionNotFound: status.HTTP_404_NOT_FOUND,
    FlagAlreadyExists: status.HTTP_409_CONFLICT,
    StaleVersion: status.HTTP_412_PRECONDITION_FAILED,
}


def error_body(code: str, message: str, fields: Mapping[str, list[str]] | None = None) -> dict:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = dict(fields)
    return {"error": error}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail -> {"field" or "field.0.sub": [messages]}."""
    if isinstance(detail, Mapping):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(detail, list) and any(isinstance(item, Mapping | list) for item in detail):
        out = {}
        for index, value in enumerate(detail):
            out.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
        return out
    items = detail if isinstance(detail, list) else [detail]
    return {prefix or "non_field_errors": [str(item) for item in items]}


def _drf_response(exc: exceptions.APIException) -> Response:
    headers: dict[str, str] = {}
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    wait = getattr(exc, "wait", None) or getattr(exc, "retry_after", None)
    if wait is not None:
        headers["Retry-After"] = str(max(1, math.ceil(wait)))
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        summary = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in fields.items())
        body = error_body("invalid", f"Invalid input: {summary}", fields)
    else:
        code = exc.get_codes() if isinstance(exc.detail, str) else exc.default_code
        body = error_body(str(code), str(exc.detail))
    return Response(body, status=exc.status_code, headers=headers)


def api_exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    if isinstance(exc, FlagError):
        fields = exc.fields if isinstance(exc, FlagValidationError) else None
        code = next((s for cls, s in FLAG_ERROR_STATUS.items() if isinstance(exc, cls)), 400)
        set_rollback()
        return Response(error_body(exc.code, exc.message, fields), status=code)
    if database_unavailable(exc):
        log_database_unavailable(exc, context.get("request"))
        exc = DatabaseUnavailable()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.APIException):
        set_rollback()
        return _drf_response(exc)
    return None  # a real crash: Django's handler500 answers (JSON for API paths)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIXES)


def log_database_unavailable(exc: BaseException, request: Any) -> None:
    """One WARNING line, no traceback: an outage is not a bug in the code that met it."""
    path = getattr(request, "path", "")
    logger.warning(
        "database unavailable: answered 503 for %s %s (%s: %s)",
        getattr(request, "method", ""),
        path,
        type(exc).__name__,
        str(exc).strip().splitlines()[0] if str(exc).strip() else "",
    )


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: the error shape under /api/ and /ofrep/, a plain page elsewhere."""
    retry_after = str(DatabaseUnavailable.retry_after)
    if _is_api(request):
        body = error_body(DatabaseUnavailable.default_code, str(DatabaseUnavailable.default_detail))
        response: HttpResponse = JsonResponse(body, status=503)
    else:
        response = HttpResponse(UNAVAILABLE_PAGE, status=503, content_type="text/html")
    response["Retry-After"] = retry_after
    return response


UNAVAILABLE_PAGE = (
    "<!doctype html><html lang=en><title>Service unavailable</title>"
    "<h1>Service unavailable</h1>"
    "<p>The database cannot be reached right now; please try again in a few seconds.</p></html>"
)


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        body = error_body("not_found", f"No API endpoint at {request.path}.")
        return JsonResponse(body, status=404)
    return defaults.page_not_found(request, exception or Http404())


def json_bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400 (a SuspiciousOperation: too many fields, a disallowed host, ...)."""
    if _is_api(request):
        body = error_body("bad_request", "The request was malformed or not allowed.")
        return JsonResponse(body, status=400)
    return defaults.bad_request(request, exception or Exception())


def json_server_error(request: HttpRequest) -> HttpResponse:
    # Called inside Django's `except` block, so the crash is still the current exception.
    if database_unavailable(sys.exc_info()[1]):
        return database_unavailable_response(request)
    if _is_api(request):
        body = error_body("server_error", "The server failed to handle this request.")
        return JsonResponse(body, status=500)
    return defaults.server_error(request)
