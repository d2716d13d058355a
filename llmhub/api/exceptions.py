"""The API's own DRF exceptions (kept free of rest_framework.views, which imports our auth)."""

from __future__ import annotations

from rest_framework import exceptions, status

# How long a client is told to wait while the database is unreachable: Django reconnects on the
# next request after it is back, so a short wait is enough.
DATABASE_RETRY_AFTER_SECONDS = 5


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


class DatabaseUnavailable(exceptions.APIException):
    """A write, or a read that needs the database, while the database cannot be reached."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unreachable; try again after Retry-After seconds."
    default_code = "database_unavailable"
    retry_after = DATABASE_RETRY_AFTER_SECONDS


class ApiError(exceptions.APIException):
    """A refusal an app's API maps from its own errors (a flag service's `StaleVersion`, say):
    answered in the error shape with exactly this status, code, message and fields."""

    def __init__(
        self, *, status_code: int, code: str, message: str, fields: dict[str, list[str]] | None
    ) -> None:
        super().__init__(message, code)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.fields = fields
