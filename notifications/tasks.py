"""Celery tasks: thin, an id in, one service call.

The delivery row is the truth (attempts, next attempt time); Celery's retry carries the wait
between attempts, and the minute sweep re-queues anything due that no message carries any
more (a broker restart, a killed worker).
"""

from __future__ import annotations

from celery import Task, shared_task

from notifications.services import deliveries_due, delivery_attempt


@shared_task(
    name="notifications.deliver_webhook",
    bind=True,
    acks_late=True,
    max_retries=None,  # the service gives up after NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS
    soft_time_limit=60,
    time_limit=70,
)
def deliver_webhook(self: Task, delivery_id: int) -> str:
    result = delivery_attempt(delivery_id=delivery_id)
    if result.retry_in is not None and not self.request.is_eager:
        # Exponential backoff (notifications.services.backoff_seconds).
        raise self.retry(countdown=result.retry_in)
    # Eagerly (no broker): the next attempt is left due, for the sweep or
    # `manage.py webhooks send-due`, rather than sleeping in the request.
    return result.status


@shared_task(name="notifications.send_due_deliveries", acks_late=True, soft_time_limit=50)
def send_due_deliveries() -> int:
    due = deliveries_due()
    for delivery_id in due:
        deliver_webhook.delay(delivery_id)
    return len(due)
