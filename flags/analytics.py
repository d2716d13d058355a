"""In-process evaluation counts: one dict increment per evaluation, no I/O.

Telemetry drains them periodically into stored counts (`drain()`), so flag analytics never cost
a database write inside a request.
"""

from __future__ import annotations

import threading
from collections import defaultdict

from flags.types import Reason

# (flag name, reason) -> evaluations since the last drain. The reason implies the outcome.
counts: defaultdict[tuple[str, Reason], int] = defaultdict(int)
_drain_lock = threading.Lock()


def drain() -> dict[tuple[str, Reason], int]:
    """Take the counts accumulated so far and start again from zero."""
    global counts
    with _drain_lock:
        taken, counts = counts, defaultdict(int)
    return dict(taken)
