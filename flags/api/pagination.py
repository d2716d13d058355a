"""Pagination of every API list: one page shape, one page-size rule, strict parameters.

Every list answers `{"count", "next", "previous", "results"}`; `next`/`previous` are full URLs
(null at either end) that keep the other query parameters, so a client reads a whole list by
following `next`. `?page_size=` is 1..MAX_PAGE_SIZE (default DEFAULT_PAGE_SIZE); a bad value is a
400 naming the parameter, never silently replaced.

The flag list pages by a keyset cursor on the (unique, immutable) name: a flag created or deleted
while a client walks the list moves no other flag across a page boundary, so each flag that
exists throughout is listed exactly once. Its pages also stop early at MAX_PAGE_BYTES (at least
one flag per page), because one flag may carry 2 x 10,000 user ids: the count bounds the rows,
the budget the bytes. The history pages by number (`?page=`), newest first, as it always has.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.db.models import QuerySet
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.utils.urls import remove_query_param, replace_query_param

from flags.models import NAME_PATTERN

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# A page stops adding flags past this many bytes of JSON (its first flag always goes in).
MAX_PAGE_BYTES = 1_000_000
_NAME_RE = re.compile(NAME_PATTERN)
_CURSOR_RULE = "Not a cursor from this list: follow the next/previous links."
_FORWARD, _BACKWARD = "n", "p"


def page_size_from(request: Request) -> int:
    raw = request.query_params.get("page_size")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise exceptions.ValidationError(
            {"page_size": [f"An integer from 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE})."]}
        )
    return int(raw)


def page_number_from(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1 or len(raw) > 9:
        raise exceptions.ValidationError({"page": ["A page number: an integer from 1."]})
    return int(raw)


def page_body(count: int, next_url: str | None, previous_url: str | None, results: list) -> dict:
    return {"count": count, "next": next_url, "previous": previous_url, "results": results}


# Keyset (cursor) pages over names.


class NamedRows(Protocol):
    """A list ordered by a unique name, readable from either side of a name."""

    def count(self) -> int: ...
    def after(self, name: str | None, limit: int) -> list[Any]: ...
    def before(self, name: str, limit: int) -> list[Any]: ...  # nearest first
    def any_after(self, name: str) -> bool: ...
    def any_before(self, name: str) -> bool: ...


@dataclass(frozen=True)
class QuerysetRows:
    """A queryset ordered by `name` (unique): each read is one indexed query."""

    queryset: QuerySet[Any]

    def count(self) -> int:
        return self.queryset.count()

    def after(self, name: str | None, limit: int) -> list[Any]:
        rows = self.queryset if name is None else self.queryset.filter(name__gt=name)
        return list(rows.order_by("name")[:limit])

    def before(self, name: str, limit: int) -> list[Any]:
        return list(self.queryset.filter(name__lt=name).order_by("-name")[:limit])

    def any_after(self, name: str) -> bool:
        return self.queryset.filter(name__gt=name).exists()

    def any_before(self, name: str) -> bool:
        return self.queryset.filter(name__lt=name).exists()


@dataclass(frozen=True)
class SortedRows:
    """In-memory rows keyed by sorted, unique `names` (the process's flag store)."""

    names: Sequence[str]
    row: Callable[[str], Any]

    def count(self) -> int:
        return len(self.names)

    def after(self, name: str | None, limit: int) -> list[Any]:
        start = 0 if name is None else bisect.bisect_right(self.names, name)
        return [self.row(found) for found in self.names[start : start + limit]]

    def before(self, name: str, limit: int) -> list[Any]:
        end = bisect.bisect_left(self.names, name)
        return [self.row(found) for found in reversed(self.names[max(0, end - limit) : end])]

    def any_after(self, name: str) -> bool:
        return bisect.bisect_right(self.names, name) < len(self.names)

    def any_before(self, name: str) -> bool:
        return bisect.bisect_left(self.names, name) > 0


def _encode(direction: str, name: str) -> str:
    return base64.urlsafe_b64encode(f"{direction}:{name}".encode()).decode().rstrip("=")


def _decode(raw: str) -> tuple[str, str]:
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        raise exceptions.ValidationError({"cursor": [_CURSOR_RULE]}) from None
    direction, _, name = text.partition(":")
    if direction not in (_FORWARD, _BACKWARD) or not _NAME_RE.match(name):
        raise exceptions.ValidationError({"cursor": [_CURSOR_RULE]})
    return direction, name


def _within_budget(documents: Iterable[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The leading documents up to `limit` of them and MAX_PAGE_BYTES of JSON (at least one)."""
    kept: list[dict[str, Any]] = []
    size = 0
    for document in documents:
        if len(kept) == limit:
            break
        size += len(json.dumps(document, default=str))
        if kept and size > MAX_PAGE_BYTES:
            break
        kept.append(document)
    return kept


def cursor_page(
    request: Request, rows: NamedRows, present: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    """One page of `rows` as `present` shows them, by the request's `cursor` and `page_size`."""
    if "page" in request.query_params:
        raise exceptions.ValidationError({"page": ["This list pages by cursor: follow next."]})
    size = page_size_from(request)
    raw = request.query_params.get("cursor")
    direction, name = _decode(raw) if raw is not None else (_FORWARD, None)
    if direction == _FORWARD:
        found = rows.after(name, size + 1)
    else:
        assert name is not None
        found = rows.before(name, size + 1)
    results = _within_budget((present(row) for row in found), size)
    more = len(results) < len(found)  # rows beyond this page in the reading direction
    if direction == _BACKWARD:
        results.reverse()
    first = results[0]["name"] if results else None
    last = results[-1]["name"] if results else None
    has_next = more if direction == _FORWARD else last is not None and rows.any_after(last)
    has_previous = more if direction == _BACKWARD else first is not None and rows.any_before(first)
    url = request.build_absolute_uri()
    count = rows.count()
    next_url = previous_url = None
    if has_next and last is not None:
        next_url = replace_query_param(url, "cursor", _encode(_FORWARD, last))
    if has_previous and first is not None:
        previous_url = replace_query_param(url, "cursor", _encode(_BACKWARD, first))
    if direction == _BACKWARD and not results and count:
        next_url = remove_query_param(url, "cursor")  # before the first flag: start over
    return page_body(count, next_url, previous_url, results)


# Numbered pages (the history).


def number_page(
    request: Request, queryset: QuerySet[Any], present: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    """Page `?page=` of `queryset` (already ordered), `?page_size=` rows; an empty list is one
    empty page, a page past the last one is a 400 naming `page`."""
    size = page_size_from(request)
    number = page_number_from(request)
    count = queryset.count()
    last_page = max(1, -(-count // size))
    if number > last_page:
        raise exceptions.ValidationError({"page": [f"Past the last page ({last_page})."]})
    start = (number - 1) * size
    results = [present(row) for row in queryset[start : start + size]]
    url = request.build_absolute_uri()
    next_url = replace_query_param(url, "page", number + 1) if number < last_page else None
    previous_url = None
    if number == 2:
        previous_url = remove_query_param(url, "page")
    elif number > 2:
        previous_url = replace_query_param(url, "page", number - 1)
    return page_body(count, next_url, previous_url, results)
