"""Where recorded events wait before one bulk insert.

- Inside a request, events go to the request's list and are committed together when the
  response is ready (telemetry.middleware), before it goes out: one round trip per request.
- High-volume automatic events (DEFERRED_TYPES) go to the process buffer, which a background
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
from typing import Any

from django.conf import settings
from django.db import DataError, IntegrityError, close_old_connections, connections

from telemetry.context import current

logger = logging.getLogger("telemetry.buffer")

# Errors that say a row's values are wrong, not that the database is away: a retry cannot help.
# (A stored event id is not one: events_store skips duplicates.)
REFUSED = (DataError, IntegrityError)

# Past this many waiting rows (the database is down, say) the oldest are dropped, so a long
# outage costs some telemetry rather than all the memory.
MAX_WAITING = 100_000


def _store(rows: list[dict[str, Any]]) -> None:
    from telemetry.services import events_store  # the models load after the app registry

    events_store(rows=rows)


class ProcessBuffer:
    def __init__(self) -> None:
        self._exit_hook = False
        self._reset()

    def _reset(self) -> None:
        self._rows: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_flag_flush = time.monotonic()

    def add(self, row: dict[str, Any]) -> None:
        with self._lock:
            self._rows.append(row)
            waiting = len(self._rows)
        if waiting >= settings.TELEMETRY_FLUSH_EVENTS:
            self._wake.set()
        if self.start() is False and waiting >= MAX_WAITING:
            self.flush()

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
        with self._lock:
            rows, self._rows = self._rows, []
        return rows

    def _put_back(self, rows: list[dict[str, Any]]) -> None:
        with self._lock:
            self._rows[:0] = rows
            del self._rows[:-MAX_WAITING]

    def flush(self) -> int:
        """Write what waits; on failure keep it for the next try. Returns rows written."""
        rows = self._take()
        if not rows:
            return 0
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
                self._put_back(rows[index:])
                break
            else:
                written += 1
        return written

    def flush_all(self) -> None:
        from telemetry.flag_counts import flag_counts_flush

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
                    from telemetry.flag_counts import flag_counts_flush

                    flag_counts_flush()
            except Exception:
                logger.exception("telemetry flusher iteration failed")
        self.flush()
        connections.close_all()  # this thread's connections


process_buffer = ProcessBuffer()
# A forked child (gunicorn worker) must not inherit the parent's rows or its dead thread.
os.register_at_fork(after_in_child=process_buffer._reset)


def add(row: dict[str, Any]) -> None:
    from telemetry.recording import DEFERRED_TYPES, DURABLE_TYPES

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
