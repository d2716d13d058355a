"""How errors become the error shape (llmhub.api.errors): DRF's handler and Django's handlers.

`api_exception_handler` is DRF's EXCEPTION_HANDLER: it maps DRF's exceptions, an app's mapped
refusals (`ApiError`: a flag view's `FlagError`, say), and the database being unreachable (503
`database_unavailable` with Retry-After: a write, an unseen token or any read that needs the
database during an outage). `json_not_found` / `json_bad_request` / `json_server_error` are
Django's handler404/handler400/handler500, answering JSON for API paths (a URL no route matches,
an unexpected crash) and the usual pages elsewhere; handler500 too answers 503 when what crashed
was the database connection (llmhub/outage.py answers views' own raises).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from llmhub.api.errors import error_body, field_errors, is_api_path, summary
from llmhub.api.exceptions import ApiError, DatabaseUnavailable
from llmhub.api.outage import (
    database_unavailable,
    database_unavailable_response,
    log_database_unavailable,
)


def _body(exc: exceptions.APIException) -> dict:
    if isinstance(exc, ApiError):
        return error_body(exc.code, exc.message, exc.fields)
    if isinstance(exc, exceptions.ValidationError):
        fields = field_errors(exc.detail)
        return error_body("invalid", f"Invalid input: {summary(fields)}", fields)
    code = exc.get_codes() if isinstance(exc.detail, str) else exc.default_code
    return error_body(str(code), str(exc.detail))


def _headers(exc: exceptions.APIException) -> dict[str, str]:
    headers: dict[str, str] = {}
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    wait = getattr(exc, "wait", None) or getattr(exc, "retry_after", None)
    if wait is not None:
        headers["Retry-After"] = str(max(1, math.ceil(wait)))
    return headers


def api_exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    # An app's refusal first: whatever it was raised while handling, it says what was wrong.
    if not isinstance(exc, ApiError) and database_unavailable(exc):
        log_database_unavailable(exc, context.get("request"))
        exc = DatabaseUnavailable()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.APIException):
        set_rollback()
        return Response(_body(exc), status=exc.status_code, headers=_headers(exc))
    return None  # a real crash: Django's handler500 answers (JSON for API paths)


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        body = error_body("not_found", f"No API endpoint at {request.path}.")
        return JsonResponse(body, status=404)
    return defaults.page_not_found(request, exception or Http404())


def json_bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400 (a SuspiciousOperation: too many fields, a disallowed host, ...)."""
    if is_api_path(request.path):
        body = error_body("bad_request", "The request was malformed or not allowed.")
        return JsonResponse(body, status=400)
    return defaults.bad_request(request, exception or Exception())


def json_server_error(request: HttpRequest) -> HttpResponse:
    # Called inside Django's `except` block, so the crash is still the current exception.
    if database_unavailable(sys.exc_info()[1]):
        return database_unavailable_response(request)
    if is_api_path(request.path):
        body = error_body("server_error", "The server failed to handle this request.")
        return JsonResponse(body, status=500)
    return defaults.server_error(request)
