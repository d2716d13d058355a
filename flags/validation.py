"""Validation of flag configuration, shared by services, the admin, the API and `flags import`.

Strict on types: a percentage is an int (not a bool, float or string), lists hold non-empty
strings, dates are timezone-aware. Values may arrive as Python objects or as JSON (ISO strings).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from flags.errors import FlagValidationError
from flags.models import NAME_PATTERN
from flags.types import GROUP_PREFIX

CONFIG_FIELDS = (
    "description",
    "enabled",
    "rollout_percentage",
    "rollout_group",
    "whitelist_users",
    "blacklist_users",
    "starts_at",
    "ends_at",
    "tags",
    "owner",
)
MAX_LIST_ITEMS = 10_000
MAX_USER_ID_LENGTH = 200
# What a user id (an evaluation's subject) is, wherever one arrives: a list entry, `?user_id=`,
# the user path segment, an OFREP targetingKey, the evaluation lane.
USER_ID_RULE = f"a non-empty string of at most {MAX_USER_ID_LENGTH} characters, without NUL"
MAX_TAGS = 20
_NAME_RE = re.compile(NAME_PATTERN)
NAME_RULE = "Use 1-100 lowercase letters, digits, '_' or '-', starting with a letter or digit."
_TAG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")


class _Invalid(Exception):
    pass


def is_user_id(value: object) -> bool:
    """Does `value` follow USER_ID_RULE?"""
    return (
        isinstance(value, str)
        and bool(value.strip())
        and len(value) <= MAX_USER_ID_LENGTH
        and "\x00" not in value
    )


def validate_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise FlagValidationError({"name": [NAME_RULE]})
    return name


def _text(max_length: int) -> Callable[[object], str]:
    def clean(value: object) -> str:
        if not isinstance(value, str):
            raise _Invalid("Must be a string.")
        if len(value) > max_length:
            raise _Invalid(f"At most {max_length} characters.")
        if "\x00" in value:
            raise _Invalid("Must not contain NUL characters.")
        return value

    return clean


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise _Invalid("Must be true or false.")
    return value


def _percentage(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid("Must be an integer from 0 to 100.")
    if not 0 <= value <= 100:
        raise _Invalid(f"Must be from 0 to 100, got {value}.")
    return value


def _group(value: object) -> str:
    text = _text(100)(value)
    if not text.strip():
        raise _Invalid("Must not be blank.")
    return text


def _whitelist(value: object) -> list[str]:
    """User ids, and `group:<name>` entries that let in a group's members."""
    cleaned = _user_list(value)
    for item in cleaned:
        if item.startswith(GROUP_PREFIX) and not item[len(GROUP_PREFIX) :].strip():
            raise _Invalid(f"{item!r} names no group: write {GROUP_PREFIX}<group name>.")
    return cleaned


def _blacklist(value: object) -> list[str]:
    cleaned = _user_list(value)
    for item in cleaned:
        if item.startswith(GROUP_PREFIX):
            # Silently matching nobody would look like a block that is not one.
            raise _Invalid(f"{item!r}: group entries are accepted in the whitelist only.")
    return cleaned


def _user_list(value: object) -> list[str]:
    if not isinstance(value, list | tuple):
        raise _Invalid("Must be a list of user ids.")
    if len(value) > MAX_LIST_ITEMS:
        raise _Invalid(f"At most {MAX_LIST_ITEMS} user ids.")
    cleaned: list[str] = []
    seen: set[str] = set()  # a list lookup here made 10,000 ids cost 0.4 s
    for item in value:
        if not is_user_id(item):
            raise _Invalid(f"Every user id must be {USER_ID_RULE}.")
        if "," in item or len(item.strip().splitlines()) > 1:
            # The admin's list box separates ids with these: such an id would come back from
            # an unchanged save as other ids, and its user would silently lose the flag.
            raise _Invalid(f"User id {item.strip()!r} contains a comma or a line break.")
        if item.strip() not in seen:
            seen.add(item.strip())
            cleaned.append(item.strip())
    return cleaned


def _tags(value: object) -> list[str]:
    if not isinstance(value, list | tuple):
        raise _Invalid("Must be a list of tags.")
    if len(value) > MAX_TAGS:
        raise _Invalid(f"At most {MAX_TAGS} tags.")
    for item in value:
        if not isinstance(item, str) or not _TAG_RE.match(item):
            raise _Invalid("Tags are 1-50 lowercase letters, digits, '_' or '-'.")
    return sorted(set(value))


def _moment(value: object) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise _Invalid("Must be an ISO 8601 date-time with a time zone.") from None
    if not isinstance(value, datetime):
        raise _Invalid("Must be an ISO 8601 date-time with a time zone.")
    if value.tzinfo is None or value.utcoffset() is None:
        raise _Invalid("Must carry a time zone (e.g. 2026-12-01T09:00:00Z).")
    # Stored and compared in UTC: a moment that leaves Python's range there (year 1 or 9999
    # with a large offset) would be stored by PostgreSQL and then break every flag load.
    try:
        in_utc = value.astimezone(UTC)
        in_utc.timestamp()
    except (OverflowError, ValueError):
        raise _Invalid("Must be between years 1 and 9999 in UTC.") from None
    if not 1970 <= in_utc.year <= 9998:
        raise _Invalid("Must be between 1970 and 9998 (UTC).")
    return value


_CLEANERS: dict[str, Callable[[object], Any]] = {
    "description": _text(2000),
    "enabled": _boolean,
    "rollout_percentage": _percentage,
    "rollout_group": _group,
    "whitelist_users": _whitelist,
    "blacklist_users": _blacklist,
    "starts_at": _moment,
    "ends_at": _moment,
    "tags": _tags,
    "owner": _text(150),
}


def clean_changes(changes: Mapping[str, object]) -> dict[str, Any]:
    """Validate each given field; unknown fields are refused, not ignored."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for field, value in changes.items():
        cleaner = _CLEANERS.get(field)
        if cleaner is None:
            errors[field] = ["Unknown or read-only field."]
            continue
        try:
            cleaned[field] = cleaner(value)
        except _Invalid as exc:
            errors[field] = [str(exc)]
    if errors:
        raise FlagValidationError(errors)
    return cleaned


def clean_user_ids(field: str, ids: Iterable[object]) -> list[str]:
    """The ids of one list edit (an add or a remove), checked like a list: refused as a whole
    when it is longer than a list may be, in time linear in its length."""
    try:
        cleaner = {"whitelist_add": _whitelist, "blacklist_add": _blacklist}.get(field, _user_list)
        return cleaner(list(ids))
    except _Invalid as exc:
        raise FlagValidationError({field: [str(exc)]}) from None


def check_window(starts_at: datetime | None, ends_at: datetime | None) -> None:
    if starts_at is not None and ends_at is not None and starts_at >= ends_at:
        raise FlagValidationError({"ends_at": ["Must be after starts_at."]})
