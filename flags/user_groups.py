"""Which Django groups a user is in, for `group:<name>` whitelist entries, with no query warm.

Asked only when a flag's whitelist has group entries. Each process keeps a user's group names
`FLAGS_GROUPS_CACHE_SECONDS` (like API tokens keep their permissions): that bounds how long a
membership change made in another process takes to reach this one. This process forgets a
user at once when their groups change here or they sign in (a sign-in through the identity
provider rewrites their groups first), so the page after a sign-in sees the new groups.

While the database is unreachable, a user's last known groups are kept (else none): an
evaluation never fails because of them.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError

from flags.types import NO_GROUPS

logger = logging.getLogger(__name__)
MAX_CACHED_USERS = 10_000


def user_group_names(username: str) -> frozenset[str]:
    """The user's group names now, from the database (the admin's "who sees it?")."""
    # Through the registry: `flags` (and so this module) is imported while apps still load.
    group = apps.get_model("auth", "Group")
    return frozenset(group.objects.filter(user__username=username).values_list("name", flat=True))


class UserGroups:
    """username -> (expires at, group names)."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def peek(self, username: str) -> frozenset[str] | None:
        """The cached groups, or None when a query would be needed (the evaluation lane)."""
        entry = self._entries.get(username)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        return None

    def get(self, username: str) -> frozenset[str]:
        cached = self.peek(username)
        if cached is not None:
            return cached
        try:
            groups = user_group_names(username)
        except DatabaseError:
            logger.warning("flags: groups of a user unavailable (database); using last known")
            entry = self._entries.get(username)
            return entry[1] if entry is not None else NO_GROUPS
        with self._lock:
            if len(self._entries) >= MAX_CACHED_USERS:
                self._entries.clear()
            ttl = float(settings.FLAGS_GROUPS_CACHE_SECONDS)
            self._entries[username] = (time.monotonic() + ttl, groups)
        return groups

    def forget(self, username: str) -> None:
        with self._lock:
            self._entries.pop(username, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


user_groups = UserGroups()


def forget_user(sender: Any, user: Any = None, **kwargs: Any) -> None:
    """`user_logged_in` receiver: the next evaluation reads the groups the sign-in wrote."""
    if user is not None:
        user_groups.forget(user.get_username())


def forget_members(sender: Any, instance: Any, action: str, reverse: bool, **kwargs: Any) -> None:
    """`m2m_changed` receiver for User.groups: a membership changed in this process."""
    if not action.startswith("post_"):
        return
    if reverse:  # group.user_set.add(...): which users is not worth a query
        user_groups.clear()
    else:
        user_groups.forget(instance.get_username())


def forget_all(sender: Any, **kwargs: Any) -> None:
    """A group renamed or deleted: every cached membership may name it."""
    user_groups.clear()
