"""Enqueue a task from a request without ever letting the broker slow it down or fail it.

The task is published after the transaction commits (so the worker sees what the request
wrote), from a short-lived thread the request waits on for at most
TELEMETRY_ENQUEUE_TIMEOUT_SECONDS. A broker that is down or hangs costs the request that
timeout and a log line, never an error: what the task would read is already committed.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from celery import Task
from django.conf import settings
from django.db import transaction

logger = logging.getLogger("telemetry.enqueue")


def enqueue_on_commit(task: Task, *args: Any) -> None:
    transaction.on_commit(lambda: publish(task, *args))


def publish(task: Task, *args: Any) -> bool:
    """Send the task; True if the broker took it within the timeout."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # The embedded default: no broker, run it here (apply_async would still want one).
        task.apply(args=args)
        return True
    sent: list[bool] = []
    thread = threading.Thread(
        target=lambda: sent.append(_send(task, args)), name="telemetry-enqueue", daemon=True
    )
    thread.start()
    thread.join(settings.TELEMETRY_ENQUEUE_TIMEOUT_SECONDS)
    if not sent:
        logger.warning("broker did not take %s within the timeout; not waiting", task.name)
        return False
    return sent[0]


def _send(task: Task, args: tuple[Any, ...]) -> bool:
    try:
        task.apply_async(args=args, retry=False)
    except Exception:
        logger.exception("could not enqueue %s", task.name)
        return False
    return True
