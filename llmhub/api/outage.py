"""The database unreachable: which exceptions say so, and the 503 with Retry-After they get.

Used by the API's exception handler, Django's handler500 (llmhub.api.handlers) and the
middleware that answers for every other view (llmhub/outage.py).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

from llmhub.api.errors import error_body, is_api_path
from llmhub.api.exceptions import DatabaseUnavailable

logger = logging.getLogger(__name__)


def _driver_errors() -> tuple[type[BaseException], ...]:
    """What the drivers raise on a dead connection where Django does not wrap it."""
    try:
        import psycopg
    except ImportError:  # SQLite-only installs
        return ()
    return (psycopg.OperationalError, psycopg.InterfaceError)


# OperationalError: the server is down, refuses, restarts or the connection broke (also a lock
# or statement timeout: transient too). InterfaceError: a connection already closed.
DATABASE_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    *_driver_errors(),
)


def database_unavailable(exc: BaseException | None) -> bool:
    """Is `exc` (or what caused it) the database being unreachable, not a fault of the request?"""
    seen = 0
    while exc is not None and seen < 10:  # a cause chain is short; never loop on a cycle
        if isinstance(exc, DATABASE_UNAVAILABLE):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


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


UNAVAILABLE_PAGE = (
    "<!doctype html><html lang=en><title>Service unavailable</title>"
    "<h1>Service unavailable</h1>"
    "<p>The database cannot be reached right now; please try again in a few seconds.</p></html>"
)


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: the error shape under /api/ and /ofrep/, a plain page elsewhere."""
    retry_after = str(DatabaseUnavailable.retry_after)
    if is_api_path(request.path):
        body = error_body(DatabaseUnavailable.default_code, str(DatabaseUnavailable.default_detail))
        response: HttpResponse = JsonResponse(body, status=503)
    else:
        response = HttpResponse(UNAVAILABLE_PAGE, status=503, content_type="text/html")
    response["Retry-After"] = retry_after
    return response
