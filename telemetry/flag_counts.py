"""Flag evaluation counts: drained from the process (flags.analytics) and added to stored
per-minute counts in one statement. Never a write per evaluation.

Counts are stamped with the minute of the flush, so a count lands at most one flush interval
(TELEMETRY_FLAG_FLUSH_SECONDS) after the evaluations it counts.
"""

from __future__ import annotations

import logging
import threading

from django.db import connection, transaction
from django.utils import timezone

from flags import analytics
from flags.types import ON_REASONS
from telemetry import metrics
from telemetry.models import FlagEvaluationCount

logger = logging.getLogger("telemetry.flag_counts")

# Counts drained but not yet stored (the database was down): added to the next flush.
_pending: dict[tuple[str, str], int] = {}
_lock = threading.Lock()


def _upsert_sql() -> str:
    table = connection.ops.quote_name(FlagEvaluationCount._meta.db_table)
    # The same upsert syntax works on PostgreSQL and SQLite (3.24+).
    return (
        f"INSERT INTO {table} (bucket_start, flag, reason, enabled, count) "
        "VALUES (%s, %s, %s, %s, %s) "
        "ON CONFLICT (bucket_start, flag, reason) "
        f"DO UPDATE SET count = {table}.count + excluded.count"
    )


def flag_counts_flush() -> int:
    """Store the evaluations counted since the last flush. Returns how many were stored."""
    with _lock:
        for (flag, reason), n in analytics.drain().items():
            _pending[flag, str(reason)] = _pending.get((flag, str(reason)), 0) + n
        taken = dict(_pending)
        _pending.clear()
    if not taken:
        return 0
    minute = timezone.now().replace(second=0, microsecond=0)
    params = [
        (minute, flag, reason, reason in ON_REASONS, n) for (flag, reason), n in taken.items()
    ]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(_upsert_sql(), params)
    except Exception:
        logger.exception("flag evaluation counts not stored; kept for the next flush")
        with _lock:
            for key, n in taken.items():
                _pending[key] = _pending.get(key, 0) + n
        return 0
    metrics.count_flag_evaluations(taken, on_reasons=ON_REASONS)
    return sum(taken.values())
