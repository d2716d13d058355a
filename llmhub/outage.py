"""The database unreachable while a view runs: 503 with Retry-After, never a traceback page.

DRF views map it in their exception handler (llmhub.api.handlers); this middleware answers for
every other view (hub pages, admin, forms: a plain 503 page; JSON under /api/ and /ofrep/).
A crash in a middleware (a session saved after the view) reaches handler500, which answers the
same way. It sits below TelemetryMiddleware, so its `process_exception` runs first and an
outage is not stored as an unhandled error with its traceback.

Recovery needs nothing here: Django closes a connection that failed at the end of the request
(and production settings health-check a reused one), so the next request reconnects.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from llmhub.api.outage import (
    database_unavailable,
    database_unavailable_response,
    log_database_unavailable,
)


class DatabaseOutageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not database_unavailable(exception):
            return None
        log_database_unavailable(exception, request)
        return database_unavailable_response(request)
