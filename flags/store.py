"""The per-process flag snapshot, kept fresh by a revision token.

Why: one Redis round trip costs ~110 µs and one evaluation ~0.2 µs, so a process keeps every
flag in memory and asks for the revision at most once per `FLAGS_REVISION_CHECK_SECONDS`, never
once per evaluation. Services publish a new revision on commit, so every process sees a
committed change within that interval and a rolled-back one never.

Where the revision comes from (`FLAGS_REVISION_SOURCE`): `cache`, a token in the shared cache
(Redis), or `database`, one aggregate query over the flags (`flag_revision`), the default when
no shared cache is configured: a local-memory cache is per process, and a revision kept there
never reaches another worker.

Failure modes: the cache is down -> the revision is read from the database (and the cache is
not asked again for a few seconds); the database is down -> keep serving the last-known
snapshot and documents.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections

from flags.types import FlagSnapshot

logger = logging.getLogger(__name__)

REVISION_KEY = "flags:revision"
CACHE_RETRY_SECONDS = 5.0
_EMPTY: Mapping[str, FlagSnapshot] = MappingProxyType({})
_NO_DOCUMENTS: Mapping[str, dict[str, Any]] = MappingProxyType({})


def _in_app_transaction() -> bool:
    """True inside a transaction the application opened (not the one a test case wraps around).

    A snapshot loaded there could hold uncommitted rows that are later rolled back.
    """
    connection = connections["default"]
    if not connection.in_atomic_block:
        return False
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


class SnapshotStore:
    def __init__(self) -> None:
        self._snapshots: Mapping[str, FlagSnapshot] = _EMPTY
        # The API's representation of each flag, with the snapshots it was loaded with: one
        # pair, replaced in one assignment, so a reader never pairs documents with other rows.
        self._documents: tuple[Mapping[str, FlagSnapshot], Mapping[str, dict[str, Any]]] = (
            _EMPTY,
            _NO_DOCUMENTS,
        )
        self._revision: str | None = None
        self._loaded = False
        self._next_check = 0.0
        self._cache_down_until = 0.0
        self._database_down = False
        self._lock = threading.Lock()

    def snapshots(self) -> Mapping[str, FlagSnapshot]:
        """The current snapshot; checks the revision at most once per interval."""
        if time.monotonic() >= self._next_check:
            self.refresh()
        return self._snapshots

    def get(self, name: str) -> FlagSnapshot | None:
        return self.snapshots().get(name)

    def documents(self, snapshots: Mapping[str, FlagSnapshot]) -> Mapping[str, dict[str, Any]]:
        """The documents loaded with `snapshots` (a mapping `snapshots()` returned), or an empty
        mapping when the store has loaded others since: never any I/O. Read-only: shared."""
        loaded_with, documents = self._documents
        return documents if snapshots is loaded_with else _NO_DOCUMENTS

    def current(self) -> Mapping[str, FlagSnapshot] | None:
        """The snapshot when no revision check is due, else None: never any I/O.

        For callers outside Django's request cycle (the evaluation lane), which must leave
        checks and reloads to a request that gets Django's database connection upkeep.
        """
        if not self._loaded or time.monotonic() >= self._next_check:
            return None
        return self._snapshots

    def refresh(self, *, force: bool = False) -> None:
        # Another thread refreshing is fine: serve what we have rather than queue up behind it.
        if not self._lock.acquire(blocking=not self._loaded):
            return
        try:
            self._refresh(force=force)
        finally:
            self._lock.release()

    def _refresh(self, *, force: bool) -> None:
        now = time.monotonic()
        self._next_check = now + settings.FLAGS_REVISION_CHECK_SECONDS
        in_transaction = _in_app_transaction()
        if self._loaded and in_transaction:
            return  # what this transaction sees may be rolled back: keep the committed view
        # Read the revision before the rows: a change committed in between only costs a reload.
        revision = self._read_revision(now)
        if self._loaded and revision is None and self._database_down:
            return  # the revision query just failed: a load would fail the same way
        if self._loaded and not force and revision is not None and revision == self._revision:
            return
        try:
            snapshots, documents = self._load()
        except DatabaseError:
            self._note_database(down=True)
            return
        self._note_database(down=False)
        self._snapshots = MappingProxyType(snapshots)
        self._documents = (self._snapshots, MappingProxyType(documents))
        self._loaded = True
        # A load inside an application transaction may hold uncommitted rows: never trust it
        # beyond this check.
        self._revision = None if in_transaction else revision
        if in_transaction:
            self._next_check = 0.0

    def _note_database(self, *, down: bool) -> None:
        """Log the outage once when it starts and once when it ends, not on every check."""
        if down and not self._database_down:
            logger.warning("flags: database unavailable, serving the last-known snapshot")
        elif not down and self._database_down:
            logger.warning("flags: database reachable again")
        self._database_down = down

    @staticmethod
    def _load() -> tuple[dict[str, FlagSnapshot], dict[str, dict[str, Any]]]:
        # Imported when first needed: the selectors load the models, and this module loads
        # with the `flags` package (flags.client), before Django's app registry is ready.
        from flags.selectors import flag_state_load

        return flag_state_load()

    def _read_revision(self, now: float) -> str | None:
        """The revision token, or None when neither the cache nor the database answers."""
        if settings.FLAGS_REVISION_SOURCE == "cache" and now >= self._cache_down_until:
            try:
                return self._cache_revision()
            except Exception:  # noqa: BLE001 - any cache failure means "ask the database"
                logger.warning("flags: cache unavailable, reading the revision from the database")
                self._cache_down_until = now + CACHE_RETRY_SECONDS
        from flags.selectors import flag_revision  # when first needed, as in _load

        try:
            revision = flag_revision()
        except DatabaseError:
            self._note_database(down=True)
            return None
        self._note_database(down=False)
        return revision

    @staticmethod
    def _cache_revision() -> str | None:
        revision = cache.get(REVISION_KEY)
        if revision is None:  # evicted, or the cache restarted empty
            cache.add(REVISION_KEY, uuid.uuid4().hex, timeout=None)
            revision = cache.get(REVISION_KEY)
        return str(revision) if revision is not None else None

    def publish_change(self) -> None:
        """Called on commit by the services: tell every process, this one first."""
        self._revision = None
        self._next_check = 0.0
        if settings.FLAGS_REVISION_SOURCE != "cache":
            return  # other processes read the revision from the database
        try:
            cache.set(REVISION_KEY, uuid.uuid4().hex, timeout=None)
        except Exception:  # noqa: BLE001 - other processes fall back to periodic reloads
            logger.warning("flags: could not publish the new revision to the cache")

    def reset(self) -> None:
        """Forget everything (tests, and after fork in servers that preload the app)."""
        self._snapshots = _EMPTY
        self._documents = (_EMPTY, _NO_DOCUMENTS)
        self._revision = None
        self._loaded = False
        self._next_check = 0.0
        self._cache_down_until = 0.0
        self._database_down = False


store = SnapshotStore()
