"""What the current request tells every event: its id, user, session and cohort.

Context variables (not thread locals) so they are right under threads and async alike.
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RequestContext:
    request_id: str
    user_id: str = ""
    session_id: str = ""
    # Which UI the user was served (telemetry.cohorts); the hub sets it.
    cohort: str = ""
    # Events to commit before the response goes out (see telemetry.buffer).
    pending: list[dict[str, Any]] = field(default_factory=list)
    request: Any = None

    def identity(self) -> tuple[str, str]:
        """(user id, session key) of the request, read once authentication has run."""
        if not self.user_id and self.request is not None:
            user = getattr(self.request, "user", None)
            if user is not None and user.is_authenticated:
                self.user_id = str(user.get_username())
            session = getattr(self.request, "session", None)
            self.session_id = (getattr(session, "session_key", None) or "") if session else ""
        return self.user_id, self.session_id


current: ContextVar[RequestContext | None] = ContextVar("telemetry_request", default=None)

# An incoming X-Request-ID is kept only if it looks like an id: no spaces, quotes or control
# characters that could forge log lines or headers.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id_from(incoming: str | None) -> str:
    if incoming and _SANE_REQUEST_ID.match(incoming):
        return incoming
    return os.urandom(16).hex()  # the shape of uuid4().hex, without building a UUID


def current_request_id() -> str:
    ctx = current.get()
    return ctx.request_id if ctx else ""


def set_cohort(cohort: str) -> None:
    """Tag the rest of this request's events with the UI the user was served."""
    ctx = current.get()
    if ctx is not None:
        ctx.cohort = cohort[:50]
