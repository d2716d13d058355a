"""Flags declared in settings (`FLAGS_DECLARED`, filled from `FEATURE_*` variables).

They are created when missing, after every migrate; an existing flag is never overwritten, so
what an admin has set survives restarts and redeploys.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

from flags.errors import FlagError
from flags.services import flag_ensure
from llmhub.actors import Actor

logger = logging.getLogger(__name__)


def ensure_declared_flags() -> list[str]:
    """Create the declared flags that do not exist yet; return the names created."""
    created = []
    for name, defaults in getattr(settings, "FLAGS_DECLARED", {}).items():
        try:
            if flag_ensure(
                name=name,
                defaults=dict(defaults),
                actor=Actor.system("settings"),
                source="settings",
            ):
                created.append(name)
        except FlagError as exc:
            logger.error("flags: declared flag %s is invalid: %s", name, exc.message)
    return created


def ensure_declared_flags_after_migrate(**kwargs: Any) -> None:
    plan = kwargs.get("plan")
    using = kwargs.get("using", "default")
    # Only once the flags tables exist, and only on the default database.
    if using != "default" or (plan is None and kwargs.get("apps") is None):
        return
    try:
        ensure_declared_flags()
    except Exception:
        logger.exception("flags: could not create declared flags")
