"""The API's own DRF exceptions (kept free of rest_framework.views, which imports our auth)."""

from __future__ import annotations

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
