"""The API's own DRF exceptions (kept free of rest_framework.views, which imports our auth)."""

from __future__ import annotations

from django.db import InterfaceError, OperationalError
from rest_framework import exceptions, status


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class ThrottleUnavailable(exceptions.APIException):
    """The rate-limit counter (the cache) is down and this request must not go uncounted."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Rate limiting is unavailable; this request is refused until it is back."
    default_code = "throttle_unavailable"
    retry_after = 5


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = 'If-Match must name exactly one version, e.g. If-Match: "3".'
    default_code = "precondition_failed"


# How long a client is told to wait while the database is unreachable: Django reconnects on the
# next request after it is back, so a short wait is enough.
DATABASE_RETRY_AFTER_SECONDS = 5


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


class DatabaseUnavailable(exceptions.APIException):
    """A write, or a read that needs the database, while the database cannot be reached."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unreachable; try again after Retry-After seconds."
    default_code = "database_unavailable"
    retry_after = DATABASE_RETRY_AFTER_SECONDS
