"""Output of the flags API as plain dicts (their shapes are documented by the *Output serializers).

`config_for` serves a flag's configuration on the evaluation hot path without a query: the flag
store loads every flag's document (`flags.selectors.flag_document`) with its snapshots, so the
configuration is the one the evaluation used, and it is there while the database is away.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.http import HttpResponse

from flags.models import Flag, FlagChange
from flags.selectors import flag_config, flag_document, flag_get
from flags.store import store
from flags.types import EvaluationResult, FlagSnapshot


def flag_representation(flag: Flag) -> dict[str, Any]:
    return {
        "name": flag.name,
        "version": flag.version,
        **flag_config(flag),
        "created_at": flag.created_at,
        "updated_at": flag.updated_at,
    }


def change_representation(change: FlagChange) -> dict[str, Any]:
    return {
        "version": change.version,
        "action": change.action,
        "actor": change.actor,
        "actor_kind": change.actor_kind,
        "source": change.source,
        "comment": change.comment,
        "created_at": change.created_at,
        "before": change.before,
        "after": change.after,
    }


def evaluation_representation(
    result: EvaluationResult, config: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "flag": result.flag,
        "enabled": result.enabled,
        "reason": str(result.reason),
        "version": result.version,
    }
    if config is not None:
        body["config"] = config
    return body


def etag(version: int) -> str:
    return f'"{version}"'


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> HttpResponse:
    """A plain JSON response for the hot paths: DRF's Response and renderer cost ~25 µs more.

    `body` must hold JSON types only (the cached configs keep their dates as ISO strings).
    """
    # Bytes (json.dumps escapes to ASCII): from text, HttpResponse would look up the charset in
    # the content type and encode: 8.3 -> 6.9 µs per call in-process.
    content = json.dumps(body, separators=(",", ":")).encode("ascii")
    return HttpResponse(content, status=status, headers=headers, content_type="application/json")


def config_for(snapshot: FlagSnapshot) -> dict[str, Any] | None:
    """The flag's configuration at the snapshot's version, as the list presents it."""
    config = cached_config(snapshot, store.snapshots())
    if config is not None:
        return config
    # The store reloaded between the caller's read and this one: the row, if still that version.
    flag = flag_get(name=snapshot.name)
    if flag is None or flag.version != snapshot.version:
        return None
    return flag_document(flag)


def cached_config(
    snapshot: FlagSnapshot, snapshots: Mapping[str, FlagSnapshot]
) -> dict[str, Any] | None:
    """The configuration loaded with `snapshots` (the store's current set), or None: no I/O."""
    config = store.documents(snapshots).get(snapshot.name)
    if config is None or config["version"] != snapshot.version:
        return None
    return config
