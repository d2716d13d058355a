"""drf-spectacular hook: document the common error responses on every operation.

Every API view can answer 400, 401, 403, 404, 405, 413, 415, 429 and 503 in the shared error
shape; documenting them once here keeps the schema honest (schemathesis checks that every status
code a response carries is documented) without repeating them on each view.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}
ERRORS = {
    "400": "Invalid input (fields names each problem)",
    "401": "Not authenticated",
    "403": "Authenticated but not allowed",
    "404": "No such flag or version",
    "405": "Method not allowed",
    "409": "A flag with this name exists",
    "412": "If-Match names an old version",
    "413": "Request body too large",
    "415": "Unsupported media type (send application/json)",
    "429": "Too many requests (see Retry-After)",
    "503": (
        "Service unavailable, try again after Retry-After: `database_unavailable` (the database"
        " cannot be reached: writes, and reads of what this process does not hold) or"
        " `throttle_unavailable` (rate limiting is down: writes)"
    ),
}
_RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}


def _error_response(code: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": ERRORS[code],
        "content": {"application/json": {"schema": _ERROR_REF}},
    }
    if code in ("429", "503"):
        response["headers"] = _RETRY_AFTER
    return response


def add_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for code in ERRORS:
                responses.setdefault(code, _error_response(code))
    return result


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Documents `llmhub.api.authentication.ApiTokenAuthentication` as Bearer and X-API-Key."""

    target_class = "llmhub.api.authentication.ApiTokenAuthentication"
    name = ["BearerAuth", "ApiKeyAuth"]

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[str]]]:
        return [{"BearerAuth": []}, {"ApiKeyAuth": []}]  # either one (OR)

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        return [
            {"type": "http", "scheme": "bearer"},
            {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        ]
