"""The one error shape of every API answer: `{"error": {"code", "message", "fields"?}}`.

`fields` (present when the problem is in the input) maps a field path to its messages. A path
names a member with `.` and a list item with `[index]`, from the body's top: `tier`,
`events[3].type`, `rules[0].constraints[1].values`. Problems with an item or object as a whole
(DRF's `non_field_errors` inside it) are filed under its own path (`events[3]`); problems with
the body as a whole under `non_field_errors`. docs/API.md documents the shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Where the JSON error shape answers instead of Django's HTML pages (404, 400, 500, 503).
API_PREFIXES = ("/api/", "/ofrep/")
NON_FIELD_ERRORS = "non_field_errors"


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES)


def error_body(code: str, message: str, fields: Mapping[str, list[str]] | None = None) -> dict:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = dict(fields)
    return {"error": error}


def field_path(parent: str, key: object) -> str:
    """The path of `key` inside `parent` ("" for the body itself)."""
    if isinstance(key, int):  # DRF keys a list's item errors by index (ListField, many=True)
        return f"{parent}[{key}]"
    if key == NON_FIELD_ERRORS and parent:
        return parent
    return f"{parent}.{key}" if parent else str(key)


def field_errors(detail: Any, parent: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail -> {"events[3].type": [messages]}: one entry per bad field."""
    if isinstance(detail, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(field_errors(value, field_path(parent, key)))
        return flat
    if isinstance(detail, list) and any(isinstance(item, Mapping | list) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            if item:  # a list serializer reports a valid item as {}
                flat.update(field_errors(item, field_path(parent, index)))
        return flat
    items = detail if isinstance(detail, list) else [detail]
    return {parent or NON_FIELD_ERRORS: [str(item) for item in items]}


def summary(fields: Mapping[str, list[str]]) -> str:
    """One line naming every problem: `events[3].type: "x" is not a valid choice.; ...`."""
    return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in fields.items())
