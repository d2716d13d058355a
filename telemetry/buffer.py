"""Where recorded events wait before one bulk insert.

- Inside a request, events go to the request's list and are committed together when the
  response is ready (telemetry.middleware), before it goes out: one round trip per request.
- High-volume automatic events (DEFERRED_TYPES) go to the process buffer (bounded in events
  and bytes, the cheapest dropped first: see ProcessBuffer), which a background
  thread writes every TELEMETRY_FLUSH_SECONDS or TELEMETRY_FLUSH_EVENTS events, and at exit.
  The same thread flushes the in-process flag evaluation counts.
- Outside a request, durable events (security, flag changes, errors) are written at once.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import Counter, deque
from typing import Any

from django.conf import settings
from django.db import DataError, IntegrityError, close_old_connections, connections

from telemetry import metrics, services
from telemetry.context import current
from telemetry.flag_counts import flag_counts_flush

logger = logging.getLogger("telemetry.buffer")

# Written in bulk in the background: automatic and frequent, nobody waits for them.
DEFERRED_TYPES = frozenset({"api_call", "flag_evaluation"})
# Worth a database round trip of their own when no request buffers them.
DURABLE_TYPES = frozenset({"security", "flag_change", "error"})

# Errors that say a row's values are wrong, not that the database is away: a retry cannot help.
# (A stored event id is not one: events_store skips duplicates.)
REFUSED = (DataError, IntegrityError)

# When the buffer is full, rows are dropped cheapest first: an API call's timing is one of
# thousands alike, a flag evaluation's count less so, anything else (a warning, a page view
# recorded outside a request) is rarer still. Oldest first within a rank.
DROP_RANK = {"api_call": 0, "flag_evaluation": 1}
RANKS = 3
# What a row costs in memory beyond its text: the dict of 19 fields, its UUID, datetimes and
# numbers (about 640 bytes measured with tracemalloc for an API call; text counted apart).
ROW_OVERHEAD_BYTES = 700


def row_bytes(row: dict[str, Any]) -> int:
    """A cheap estimate of the memory a waiting row holds (no deep sizeof on the hot path)."""
    size = ROW_OVERHEAD_BYTES
    for value in row.values():
        if type(value) is str:
            size += len(value)
    properties = row.get("properties")
    if properties:
        size += len(repr(properties))
    return size


def _store(rows: list[dict[str, Any]]) -> None:
    services.events_store(rows=rows)


class ProcessBuffer:
    """Rows waiting for the background flush, bounded at all times.

    The bound (TELEMETRY_BUFFER_MAX_EVENTS and TELEMETRY_BUFFER_MAX_BYTES) covers the rows
    waiting AND the batch a flush is writing: while a flush hangs on a slow database the
    batch still holds its memory, so new rows make room by dropping waiting ones (cheapest
    first) or are dropped themselves. Every drop is counted: a Prometheus counter at once, and
    DroppedEventCount (the dashboard's figure) after the next flush that reaches the database.
    """

    def __init__(self) -> None:
        self._exit_hook = False
        self._reset()

    def _reset(self) -> None:
        self._queues: list[deque[tuple[int, dict[str, Any]]]] = [deque() for _ in range(RANKS)]
        self._events = 0  # waiting + being flushed
        self._bytes = 0
        self._dropped: Counter[str] = Counter()  # by event type, not reported yet
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()  # one flush at a time: the thread, exit, a test
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_flag_flush = time.monotonic()

    def add(self, row: dict[str, Any]) -> None:
        waiting = self._admit(row)
        if waiting >= settings.TELEMETRY_FLUSH_EVENTS:
            self._wake.set()
        if self.start() is False and waiting >= settings.TELEMETRY_BUFFER_MAX_EVENTS:
            self.flush()  # no flusher thread (tests, eager setups): write in the caller

    def _admit(self, row: dict[str, Any]) -> int:
        """Queue the row if it fits (making room if it can); returns the rows held now."""
        size = row_bytes(row)
        rank = DROP_RANK.get(row["event_type"], RANKS - 1)
        with self._lock:
            kept = self._make_room(rank, size)
            if kept:
                self._queues[rank].append((size, row))
                self._events += 1
                self._bytes += size
            else:
                self._count_drop_locked(row["event_type"])
            return self._events

    def _make_room(self, rank: int, size: int) -> bool:
        """Drop waiting rows of this rank or cheaper until `size` more fits; False if it
        cannot fit (the new row is dropped instead). Called with the lock held."""
        while self._over(size):
            victim = next((q for q in self._queues[: rank + 1] if q), None)
            if victim is None:
                return False
            dropped_size, dropped = victim.popleft()
            self._events -= 1
            self._bytes -= dropped_size
            self._count_drop_locked(dropped["event_type"])
        return True

    def _over(self, size: int) -> bool:
        return (
            self._events + 1 > settings.TELEMETRY_BUFFER_MAX_EVENTS
            or self._bytes + size > settings.TELEMETRY_BUFFER_MAX_BYTES
        )

    def _count_drop_locked(self, event_type: str) -> None:
        self._dropped[event_type] += 1
        metrics.count_dropped(event_type)

    def size(self) -> tuple[int, int]:
        """(events, estimated bytes) held now, the batch being flushed included."""
        with self._lock:
            return self._events, self._bytes

    def start(self) -> bool:
        """Start the flusher thread of this process once; False when background flush is off."""
        if not settings.TELEMETRY_BACKGROUND_FLUSH:
            return False
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="telemetry-flusher", daemon=True
                    )
                    self._thread.start()
                    if not self._exit_hook:
                        atexit.register(self.flush_all)
                        self._exit_hook = True
        return True

    def _take(self) -> list[dict[str, Any]]:
        """The waiting rows, which stay counted against the bound until `_settle`."""
        with self._lock:
            taken = [row for queue in self._queues for _, row in queue]
            for queue in self._queues:
                queue.clear()
        return taken

    def clear(self) -> list[dict[str, Any]]:
        """Take every waiting row and forget the drop tally, writing nothing (tests)."""
        rows = self._take()
        self._settle(rows)
        with self._lock:
            self._dropped.clear()
        return rows

    def _settle(self, rows: list[dict[str, Any]]) -> None:
        """Rows taken by a flush are gone (written or refused): release their share."""
        with self._lock:
            self._events -= len(rows)
            self._bytes -= sum(row_bytes(row) for row in rows)

    def _put_back(self, rows: list[dict[str, Any]]) -> None:
        """A failed flush: its rows wait again, in front, within the bound (they are still
        counted, so only rows that arrived meanwhile can push the total over)."""
        self._settle(rows)
        with self._lock:
            arrived = [row for queue in self._queues for _, row in queue]
            for queue in self._queues:
                queue.clear()
            self._events, self._bytes = 0, 0
        for row in [*rows, *arrived]:
            self._admit(row)

    def _report_drops(self) -> None:
        """Store how many rows were dropped since the last report; kept for the next flush
        when the database refuses."""
        with self._lock:
            dropped, self._dropped = self._dropped, Counter()
        if not dropped:
            return
        try:
            services.dropped_events_store(counts=dict(dropped))
        except Exception:
            logger.exception("telemetry drop counts not stored; kept for the next flush")
            with self._lock:
                self._dropped.update(dropped)
            return
        logger.warning(
            "telemetry buffer full: %d events dropped",
            sum(dropped.values()),
            extra={"dropped_by_type": dict(dropped)},
        )

    def flush(self) -> int:
        """Write what waits; on failure keep it for the next try. Returns rows written."""
        with self._flush_lock:
            rows = self._take()
            written = self._write(rows) if rows else 0
            if written or not rows:
                self._report_drops()
            return written

    def _write(self, rows: list[dict[str, Any]]) -> int:
        try:
            _store(rows)
        except REFUSED:
            # A value the database refuses: retrying the batch would fail forever and hold
            # back every event after it. Store the rows one by one and drop only the bad ones.
            logger.exception("telemetry flush refused a value; storing rows one by one")
            return self._store_each(rows)
        except Exception:
            logger.exception("telemetry flush failed; %d events kept for retry", len(rows))
            self._put_back(rows)
            return 0
        self._settle(rows)
        return len(rows)

    def _store_each(self, rows: list[dict[str, Any]]) -> int:
        written = 0
        for index, row in enumerate(rows):
            try:
                _store([row])
            except REFUSED:
                logger.exception(
                    "telemetry event dropped: the database refuses it",
                    extra={"dropped_event_id": str(row.get("event_id", ""))},
                )
            except Exception:
                logger.exception("telemetry flush failed; events kept for retry")
                self._settle(rows[:index])
                self._put_back(rows[index:])
                break
            else:
                written += 1
        else:
            self._settle(rows)
        return written

    def flush_all(self) -> None:
        self.flush()
        flag_counts_flush()

    def stop(self) -> None:
        """Stop the flusher thread after one last flush."""
        thread = self._thread
        if thread is not None:
            self._stopping.set()
            self._wake.set()
            thread.join(timeout=10)
            self._thread = None
            self._stopping.clear()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(timeout=settings.TELEMETRY_FLUSH_SECONDS)
            self._wake.clear()
            try:
                close_old_connections()
                self.flush()
                if (
                    time.monotonic() - self._last_flag_flush
                    >= settings.TELEMETRY_FLAG_FLUSH_SECONDS
                ):
                    self._last_flag_flush = time.monotonic()
                    flag_counts_flush()
            except Exception:
                logger.exception("telemetry flusher iteration failed")
        self.flush()
        connections.close_all()  # this thread's connections


process_buffer = ProcessBuffer()
# A forked child (gunicorn worker) must not inherit the parent's rows or its dead thread.
os.register_at_fork(after_in_child=process_buffer._reset)


def add(row: dict[str, Any]) -> None:
    kind = row["event_type"]
    ctx = current.get()
    if kind in DEFERRED_TYPES:
        process_buffer.add(row)
    elif ctx is not None:
        ctx.pending.append(row)
    elif kind in DURABLE_TYPES:
        write_now([row])
    else:
        process_buffer.add(row)


def write_now(rows: list[dict[str, Any]]) -> None:
    """Commit rows now; if the database refuses, hand them to the process buffer to retry."""
    if not rows:
        return
    try:
        _store(rows)
    except Exception:
        logger.exception("telemetry write failed; %d events buffered for retry", len(rows))
        for row in rows:
            process_buffer.add(row)


def flush() -> int:
    """Write the process buffer now (tests, shutdown hooks)."""
    return process_buffer.flush()
