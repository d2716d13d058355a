"""Signal receivers: flag changes and exceptions raised outside views."""

from __future__ import annotations

import logging
import sys
from typing import Any

from telemetry.recording import record_event


def on_flag_changed(sender: Any, change: Any, **kwargs: Any) -> None:
    """Every flag change: a `flag_change` event and a `security` event, both kept durably.

    Both at INFO: a flag change is routine, audited and authorised work (a WARNING at every
    `flags rollout` from a shell is noise that hides real warnings). WARNING stays for what is
    security-relevant by itself: denied access and throttling (401, 403, 429 in the middleware).
    """
    fields = {
        "flag": change.flag_name,
        "action": change.action,
        "user_id": change.actor_user.get_username() if change.actor_user_id else "",
        "properties": {
            "version": change.version,
            "actor": change.actor,
            "actor_kind": change.actor_kind,
            "source": change.source,
            "changed": sorted(change.changed_fields()),
            "comment": change.comment,
        },
    }
    record_event("flag_change", **fields)
    record_event("security", level=logging.INFO, **{**fields, "action": "flag_change"})


def on_token_changed(sender: Any, token: Any, action: str, actor: Any, **kwargs: Any) -> None:
    """A token created or revoked: a `security` event at INFO (audited, authorised work, like
    a flag change), naming who did it and which token (never its secret)."""
    record_event(
        "security",
        level=logging.INFO,
        action=action,
        user_id=actor.user.get_username() if actor.user is not None else "",
        properties={
            "actor": actor.label,
            "actor_kind": actor.kind,
            "token": token.prefix,
            "label": token.label,
            "scope": token.scope,
            "owner": token.user.get_username(),
        },
    )


def on_request_exception(sender: Any, request: Any = None, **kwargs: Any) -> None:
    """Exceptions a view did not raise (middleware, URL resolution): the middleware's
    process_exception records those a view raised."""
    if request is None or getattr(request, "_telemetry_error_recorded", False):
        return
    exc = sys.exc_info()[1]
    record_event(
        "error",
        level=logging.ERROR,
        exc_info=sys.exc_info() if exc else None,
        path=getattr(request, "path", ""),
        method=getattr(request, "method", ""),
        status=500,
        properties={"error_class": type(exc).__name__ if exc else "", "unhandled": True},
    )
