"""A JSON parser that refuses hostile bodies with a 4xx before any view sees them.

DRF's parser reads the stream without Django's DATA_UPLOAD_MAX_MEMORY_SIZE check, accepts NaN,
lets a deeply nested body hit Python's recursion limit and keeps NUL characters, which
PostgreSQL refuses (a 500). Here: too large -> 413; not UTF-8, not JSON, duplicate keys, NaN,
nested deeper than API_MAX_JSON_DEPTH, a NUL character or a lone surrogate in any key or
value -> 400.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer

from llmhub.api.exceptions import RequestTooLarge


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON.")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"Duplicate key {key!r}.")
        result[key] = value
    return result


def _check_text(value: str) -> None:
    if "\x00" in value:
        raise ParseError("JSON strings must not contain NUL characters.")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate escape such as "\ud800"
            raise ParseError("JSON strings must be valid Unicode.") from None


def check_structure(data: Any, max_depth: int) -> None:
    """Iteratively (no recursion to exhaust): depth, NUL characters, lone surrogates."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, Mapping | list):
            if depth > max_depth:
                raise ParseError(f"JSON nested deeper than {max_depth} levels.")
            items = value.items() if isinstance(value, Mapping) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    _check_text(key)
                stack.append((item, depth + 1))


def read_limited(stream: IO[bytes] | None, limit: int) -> bytes:
    if stream is None:
        return b""
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise RequestTooLarge(f"The request body exceeds {limit} bytes.")
    return body


def decode_json(body: bytes, max_depth: int) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError("The request body is not valid UTF-8.") from None
    try:
        data = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise ParseError(f"JSON nested deeper than {max_depth} levels.") from None
    except ValueError as exc:  # JSONDecodeError, duplicates, NaN, absurdly long integers
        raise ParseError(f"Malformed JSON: {exc}") from None
    check_structure(data, max_depth)
    return data


class StrictJSONParser(BaseParser):
    media_type = "application/json"
    renderer_class = JSONRenderer

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        limit = min(settings.API_MAX_BODY_BYTES, settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2**62)
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and str(declared).isdigit() and int(declared) > limit:
            raise RequestTooLarge(f"The request body exceeds {limit} bytes.")
        return decode_json(read_limited(stream, limit), settings.API_MAX_JSON_DEPTH)
