"""After a flag change commits: write its webhook deliveries and queue their first attempts."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from notifications.services import deliveries_create
from notifications.tasks import deliver_webhook
from telemetry.enqueue import enqueue_on_commit

logger = logging.getLogger("notifications")


def on_flag_changed(sender: Any, change: Any, **kwargs: Any) -> None:
    """Never raises: a notification problem must not fail (or slow) the change that has
    already committed. Deliveries are queued after their own commit; a broker that is down
    leaves them due, and the sweep (`notifications.send_due_deliveries`) sends them."""
    try:
        with transaction.atomic():
            for delivery_id in deliveries_create(change=change):
                enqueue_on_commit(deliver_webhook, delivery_id)
    except Exception:
        logger.exception(
            "webhook deliveries for %s v%s not written", change.flag_name, change.version
        )
