"""The flag services' errors in the API's terms: each `FlagError` answers with its status.

`FlagAPIView.handle_exception` (flags.api.common) turns a `FlagError` into the platform's
`ApiError`, which llmhub.api.handlers answers in the one error shape.
"""

from __future__ import annotations

from rest_framework import status

from flags.errors import (
    FlagAlreadyExists,
    FlagError,
    FlagNotFound,
    FlagValidationError,
    StaleVersion,
    VersionNotFound,
)
from llmhub.api.exceptions import ApiError

FLAG_ERROR_STATUS: dict[type[FlagError], int] = {
    FlagValidationError: status.HTTP_400_BAD_REQUEST,
    FlagNotFound: status.HTTP_404_NOT_FOUND,
    VersionNotFound: status.HTTP_404_NOT_FOUND,
    FlagAlreadyExists: status.HTTP_409_CONFLICT,
    StaleVersion: status.HTTP_412_PRECONDITION_FAILED,
}


def flag_api_error(exc: FlagError) -> ApiError:
    fields = exc.fields if isinstance(exc, FlagValidationError) else None
    code = next((s for cls, s in FLAG_ERROR_STATUS.items() if isinstance(exc, cls)), 400)
    return ApiError(status_code=code, code=exc.code, message=exc.message, fields=fields)
