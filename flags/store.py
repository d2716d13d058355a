"""The per-process flag snapshot, kept fresh by a revision token and a change feed.

Why: one Redis round trip costs ~110 µs and one evaluation ~0.2 µs, so a process keeps every
flag in memory and asks for the revision at most once per `FLAGS_REVISION_CHECK_SECONDS`, never
once per evaluation. Services publish a new revision on commit, so every process sees a
committed change within that interval and a rolled-back one never.

Where the revision comes from (`FLAGS_REVISION_SOURCE`): `cache`, a token in the shared cache
(Redis), or `database`, one aggregate query over the flags (`flag_revision`), the default when
no shared cache is configured: a local-memory cache is per process, and a revision kept there
never reaches another worker.

What a new revision costs: only the flags that changed are read again. Every write leaves a
`FlagChange` row, so the store keeps the highest history id it applied (its watermark) and
reads the names changed after it; a change whose history row committed out of id order is
caught by comparing (count, sum of versions, highest id) with the database and, on a mismatch,
a light scan of every flag's version. A full load happens once per process (and after a load
inside a transaction, which may hold rows that are rolled back).

Who does the work (`FLAGS_BACKGROUND_REFRESH`): once a snapshot is loaded, checks and changes
run on one background thread per process, so a request thread never waits for Redis or the
database while a snapshot can serve, not even with Redis hung. Without it (tests, whose rows
live in a transaction a thread cannot see) one request thread checks while others serve.

Failure modes: the cache is down -> the revision is read from the database and the cache is
asked again after a backoff (5 s doubling to 60 s); the database is down -> keep serving the
last-known snapshot and documents.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, close_old_connections, connections

from flags.documents import DocumentSource, FlagDocuments
from flags.types import FlagSnapshot

logger = logging.getLogger(__name__)

REVISION_KEY = "flags:revision"
CACHE_RETRY_SECONDS = 5.0
CACHE_RETRY_MAX_SECONDS = 60.0
# How long a writer waits for a running check before leaving its change to the next check.
OWN_WRITE_WAIT_SECONDS = 1.0


class _Loaded(NamedTuple):
    """Everything a process holds, replaced in one assignment so readers never mix two loads.

    The dicts are private and never mutated once published; callers get read-only views.
    """

    snapshots: Mapping[str, FlagSnapshot]  # read-only view of `raw_snapshots`
    documents: Mapping[str, dict[str, Any]]  # built from `sources` on first read
    raw_snapshots: dict[str, FlagSnapshot]
    sources: dict[str, DocumentSource]
    ids: dict[str, int]  # flag row id by name, for the (count, versions, highest id) check
    watermark: int  # the highest FlagChange id applied


def _loaded(
    snapshots: dict[str, FlagSnapshot],
    sources: dict[str, DocumentSource],
    ids: dict[str, int],
    watermark: int,
) -> _Loaded:
    view = MappingProxyType(snapshots)
    return _Loaded(view, FlagDocuments(sources), snapshots, sources, ids, watermark)


_NOTHING = _loaded({}, {}, {}, 0)


def _in_app_transaction() -> bool:
    """True inside a transaction the application opened (not the one a test case wraps around).

    A snapshot loaded there could hold uncommitted rows that are later rolled back.
    """
    connection = connections["default"]
    if not connection.in_atomic_block:
        return False
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _parts(state: _Loaded) -> tuple[int, int, int]:
    """What `flag_revision_parts` would answer for the flags this process holds."""
    versions = sum(snapshot.version for snapshot in state.raw_snapshots.values())
    return len(state.raw_snapshots), versions, max(state.ids.values(), default=0)


def _changes_applied(state: _Loaded) -> _Loaded:
    """`state` with the changes committed since its watermark: only those flags are read."""
    from flags.selectors import flag_changes_since, flag_revision_parts, flag_versions

    watermark, names = flag_changes_since(state.watermark)
    if names:
        state = _merged(state, names, watermark)
    if _parts(state) == flag_revision_parts():
        return state
    # A history row committed after one with a higher id (the feed moved past it): find the
    # flags whose row differs from what this process holds.
    rows = flag_versions()
    missed = {name for name in state.raw_snapshots if name not in rows}
    missed.update(
        name
        for name, (flag_id, version) in rows.items()
        if state.ids.get(name) != flag_id or state.raw_snapshots[name].version != version
    )
    return _merged(state, missed, watermark)


def _merged(state: _Loaded, names: Iterable[str], watermark: int) -> _Loaded:
    """A copy of `state` with `names` read again (absent from the database: removed)."""
    from flags.state_load import flag_state_load

    names = set(names)
    fresh_snapshots, fresh_sources, fresh_ids = flag_state_load(names=names)
    snapshots, sources = state.raw_snapshots.copy(), state.sources.copy()
    ids = state.ids.copy()
    for name in names:
        if name in fresh_snapshots:
            snapshots[name] = fresh_snapshots[name]
            sources[name] = fresh_sources[name]
            ids[name] = fresh_ids[name]
        else:
            snapshots.pop(name, None)
            sources.pop(name, None)
            ids.pop(name, None)
    return _loaded(snapshots, sources, ids, watermark)


def _full_load() -> _Loaded:
    from flags.selectors import flag_change_watermark
    from flags.state_load import flag_state_load

    # The watermark before the rows: a change in between is applied twice, never missed.
    watermark = flag_change_watermark()
    # The load allocates about ten objects per flag and frees none: the collector's passes
    # over them meanwhile were 60-80 % of its CPU at 10,000 flags. It holds no cycles.
    collecting = gc.isenabled()
    gc.disable()
    try:
        snapshots, sources, ids = flag_state_load()
    finally:
        if collecting:
            gc.enable()
    return _loaded(snapshots, sources, ids, watermark)


class _Refresher:
    """One daemon thread per process that runs the store's checks when woken.

    Started lazily, so a server that forks after importing the app gets one per worker.
    """

    def __init__(self, store: SnapshotStore) -> None:
        self.pid = os.getpid()
        self._store = store
        self._wake = threading.Event()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="flags-refresh", daemon=True)
        self._thread.start()

    def usable(self) -> bool:
        return not self._stopped and self.pid == os.getpid() and self._thread.is_alive()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    def _run(self) -> None:
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stopped or not settings.FLAGS_BACKGROUND_REFRESH:
                    return
                # This thread has its own connection: drop it when broken or past its age.
                close_old_connections()
                try:
                    self._store.refresh()
                except Exception:  # the thread must outlive any one failed check
                    logger.exception("flags: background refresh failed")
        finally:
            connections.close_all()


class SnapshotStore:
    def __init__(self) -> None:
        self._state = _NOTHING
        self._revision: str | None = None
        self._loaded = False
        # False after a load inside an application transaction: the next check loads in full.
        self._trusted = False
        self._next_check = 0.0
        self._cache_down_until = 0.0
        self._cache_backoff = CACHE_RETRY_SECONDS
        self._database_down = False
        self._lock = threading.Lock()
        self._generation = 0  # bumped by reset(): a check started before must not publish
        self._refresher: _Refresher | None = None
        self._refresher_lock = threading.Lock()

    def snapshots(self) -> Mapping[str, FlagSnapshot]:
        """The current snapshot; checks the revision at most once per interval."""
        if time.monotonic() >= self._next_check:
            self._check()
        return self._state.snapshots

    def get(self, name: str) -> FlagSnapshot | None:
        return self.snapshots().get(name)

    def documents(self, snapshots: Mapping[str, FlagSnapshot]) -> Mapping[str, dict[str, Any]]:
        """The documents loaded with `snapshots` (a mapping `snapshots()` returned), or an empty
        mapping when the store has loaded others since: never any I/O. Read-only: shared."""
        state = self._state
        return state.documents if snapshots is state.snapshots else _NOTHING.documents

    def document(
        self, snapshot: FlagSnapshot, snapshots: Mapping[str, FlagSnapshot]
    ) -> dict[str, Any] | None:
        """`snapshot`'s document (its API representation, at its version) loaded with
        `snapshots`, or None when the store has loaded others since: never any I/O."""
        document: dict[str, Any] | None = self.documents(snapshots).get(snapshot.name)
        if document is None or document["version"] != snapshot.version:
            return None
        return document

    def current(self) -> Mapping[str, FlagSnapshot] | None:
        """The snapshot when no check is due or a background thread runs them, else None: never
        any I/O on the caller's thread.

        For callers outside Django's request cycle (the evaluation lane), which must leave
        checks and loads to a request that gets Django's database connection upkeep.
        """
        if not self._loaded:
            return None
        if time.monotonic() >= self._next_check:
            if not settings.FLAGS_BACKGROUND_REFRESH:
                return None
            self._check()
        return self._state.snapshots

    def _check(self) -> None:
        """A check is due: hand it to the background thread when a snapshot can serve."""
        if not (self._loaded and settings.FLAGS_BACKGROUND_REFRESH):
            self.refresh()
            return
        # One wake-up per interval, however many requests arrive while the thread works.
        self._next_check = time.monotonic() + settings.FLAGS_REVISION_CHECK_SECONDS
        refresher = self._refresher
        if refresher is None or not refresher.usable():
            with self._refresher_lock:
                refresher = self._refresher
                if refresher is None or not refresher.usable():
                    refresher = self._refresher = _Refresher(self)
        refresher.wake()

    def refresh(self, *, force: bool = False) -> None:
        # Another thread refreshing is fine: serve what we have rather than queue up behind it.
        lock = self._lock
        if not lock.acquire(blocking=not self._loaded):
            return
        try:
            self._refresh(force=force)
        finally:
            lock.release()

    def _refresh(self, *, force: bool) -> None:
        now = time.monotonic()
        generation = self._generation
        self._next_check = now + settings.FLAGS_REVISION_CHECK_SECONDS
        in_transaction = _in_app_transaction()
        if self._loaded and in_transaction:
            return  # what this transaction sees may be rolled back: keep the committed view
        # Read the revision before the rows: a change committed in between only costs a check.
        revision = self._read_revision(now)
        if self._loaded and revision is None and self._database_down:
            return  # the revision query just failed: a load would fail the same way
        if self._loaded and not force and revision is not None and revision == self._revision:
            return
        incremental = self._loaded and self._trusted and not force
        try:
            state = _changes_applied(self._state) if incremental else _full_load()
        except DatabaseError:
            self._note_database(down=True)
            return
        self._note_database(down=False)
        if generation != self._generation:
            return  # reset() ran meanwhile
        self._state = state
        self._loaded = True
        if not incremental and settings.FLAGS_BACKGROUND_REFRESH:
            # The snapshot lives until replaced and holds no cycles: keep the collector's full
            # passes from walking it (about ten objects per flag; at 100,000 flags a full pass
            # stalled every thread of the process for whole seconds on a loaded machine).
            gc.freeze()
        # A load inside an application transaction may hold uncommitted rows: never trust it
        # beyond this check.
        self._trusted = not in_transaction
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

    def _read_revision(self, now: float) -> str | None:
        """The revision token, or None when neither the cache nor the database answers."""
        if settings.FLAGS_REVISION_SOURCE == "cache" and now >= self._cache_down_until:
            try:
                revision = self._cache_revision()
            except Exception:  # noqa: BLE001 - any cache failure means "ask the database"
                self._note_cache_down(now)
            else:
                self._cache_backoff = CACHE_RETRY_SECONDS
                return revision
        # Imported when first needed: the selectors load the models, and this module loads
        # with the `flags` package (flags.client), before Django's app registry is ready.
        from flags.selectors import flag_revision

        try:
            revision = flag_revision()
        except DatabaseError:
            self._note_database(down=True)
            return None
        self._note_database(down=False)
        return revision

    def _note_cache_down(self, now: float) -> None:
        """Back off: a hung cache costs a socket timeout per attempt, so ask it ever less often."""
        logger.warning(
            "flags: cache unavailable, reading the revision from the database for %.0f s",
            self._cache_backoff,
        )
        self._cache_down_until = now + self._cache_backoff
        self._cache_backoff = min(self._cache_backoff * 2, CACHE_RETRY_MAX_SECONDS)

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
        if settings.FLAGS_REVISION_SOURCE == "cache":
            try:
                cache.set(REVISION_KEY, uuid.uuid4().hex, timeout=None)
            except Exception:  # noqa: BLE001 - other processes fall back to periodic reloads
                logger.warning("flags: could not publish the new revision to the cache")
        if settings.FLAGS_BACKGROUND_REFRESH:
            self._apply_own_change()

    def _apply_own_change(self) -> None:
        """Read your own writes: this process applies the change now (the changed rows only),
        rather than serving the old configuration until the background check has run."""
        if not (self._loaded and self._trusted) or _in_app_transaction():
            return
        lock, generation = self._lock, self._generation
        if not lock.acquire(timeout=OWN_WRITE_WAIT_SECONDS):
            return  # a check is running; the next one applies the change
        try:
            state = _changes_applied(self._state)
            if generation == self._generation:
                self._state = state
        except DatabaseError:
            self._note_database(down=True)
        finally:
            lock.release()

    def reset(self) -> None:
        """Forget everything (tests, and after fork in servers that preload the app)."""
        if self._refresher is not None:
            self._refresher.stop()
        self._refresher = None
        self._generation += 1
        self._lock = threading.Lock()
        self._state = _NOTHING
        self._revision = None
        self._loaded = False
        self._trusted = False
        self._next_check = 0.0
        self._cache_down_until = 0.0
        self._cache_backoff = CACHE_RETRY_SECONDS
        self._database_down = False


store = SnapshotStore()
