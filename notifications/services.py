"""Every write of notifications: webhook deliveries and their attempts, flag triggers.

Delivery is at least once: a delivery row is written for each webhook that wants a change,
then each attempt is claimed on the row (so two workers, or a retry and the sweep, never send
one attempt twice) and its outcome written back. Receivers deduplicate by X-LLMHub-Delivery.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from flags.models import Flag, FlagChange
from flags.services import flag_disable
from llmhub import crypto
from llmhub.actors import Actor
from notifications.delivery import AttemptOutcome, post_signed
from notifications.models import FlagTrigger, Webhook, WebhookDelivery
from notifications.payloads import body_for, event_name

logger = logging.getLogger("notifications")
Status = WebhookDelivery.Status
TRIGGER_PREFIX = "ltr_"


# --- webhook deliveries -----------------------------------------------------------------------


def deliveries_create(*, change: FlagChange) -> list[int]:
    """One pending delivery per active webhook whose filters match `change`; their ids."""
    hooks = [
        hook
        for hook in Webhook.objects.filter(active=True)
        if hook.wants(flag=change.flag_name, action=change.action, source=change.source)
    ]
    now = timezone.now()
    created = []
    for hook in hooks:
        delivery_id = str(uuid.uuid4())
        created.append(
            WebhookDelivery.objects.create(
                webhook=hook,
                delivery_id=delivery_id,
                change=change,
                flag_name=change.flag_name,
                event=event_name(change),
                body=body_for(
                    change, delivery_id=delivery_id, slack=hook.format == Webhook.Format.SLACK
                ),
                next_attempt_at=now,
            ).pk
        )
    return created


def backoff_seconds(attempts: int) -> float:
    """Wait before the next attempt after `attempts` failed ones: base, 2 x base, 4 x base..."""
    return float(settings.NOTIFICATIONS_WEBHOOK_BACKOFF_SECONDS * 2 ** (attempts - 1))


@dataclass(frozen=True)
class AttemptResult:
    status: str  # a WebhookDelivery.Status, or "skipped" (not due, done, claimed elsewhere)
    retry_in: float | None = None  # seconds until the next attempt is due


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Take the next attempt of a due delivery: count it and push `next_attempt_at` past the
    attempt's own time limit, so nobody else takes it meanwhile (a worker killed mid-attempt
    leaves it due again once that lease runs out)."""
    now = timezone.now()
    lease = timedelta(seconds=settings.NOTIFICATIONS_WEBHOOK_TIMEOUT_SECONDS + 30)
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("webhook")
            .filter(pk=delivery_id, status__in=[Status.PENDING, Status.RETRYING])
            .first()
        )
        if delivery is None or (delivery.next_attempt_at and delivery.next_attempt_at > now):
            return None
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.next_attempt_at = now + lease
        delivery.save(update_fields=["attempts", "last_attempt_at", "next_attempt_at"])
    return delivery


def delivery_attempt(*, delivery_id: int) -> AttemptResult:
    """One attempt of a delivery, if it is due; the outcome written to the delivery log."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return AttemptResult("skipped")
    outcome, retryable = _send(delivery)
    delivery.response_code = outcome.response_code
    delivery.error = outcome.error
    delivery.duration_ms = outcome.duration_ms
    retry_in = None
    if outcome.ok:
        delivery.status, delivery.delivered_at = Status.DELIVERED, timezone.now()
        delivery.next_attempt_at = None
    elif not retryable or delivery.attempts >= settings.NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = Status.FAILED, None
        logger.warning("webhook %s gave up on %s", delivery.webhook.name, delivery.delivery_id)
    else:
        retry_in = backoff_seconds(delivery.attempts)
        delivery.status = Status.RETRYING
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=retry_in)
    delivery.save(update_fields=[*_OUTCOME_FIELDS])
    return AttemptResult(delivery.status, retry_in)


_OUTCOME_FIELDS = (
    "status",
    "response_code",
    "error",
    "duration_ms",
    "delivered_at",
    "next_attempt_at",
)


def _send(delivery: WebhookDelivery) -> tuple[AttemptOutcome, bool]:
    """The attempt's outcome, and whether another attempt could do better."""
    try:
        secret = delivery.webhook.secret
    except crypto.SecretUnreadable as error:  # its key was dropped too early: nothing can sign
        return AttemptOutcome(
            ok=False, response_code=None, error=str(error), duration_ms=0.0
        ), False
    outcome = post_signed(
        url=delivery.webhook.url,
        secret=secret,
        body=delivery.body,
        event=delivery.event,
        delivery_id=str(delivery.delivery_id),
    )
    return outcome, True


def deliveries_due(*, limit: int = 500) -> list[int]:
    """Deliveries whose next attempt is due and that no queued task took: the sweep's work
    (a broker that lost a message, the first attempt refused by a broker that was down)."""
    return list(
        WebhookDelivery.objects.filter(
            status__in=[Status.PENDING, Status.RETRYING], next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def webhook_secrets_rotate() -> int:
    """Every signing secret re-encrypted with the newest key, all or none (one unreadable
    secret changes nothing)."""
    with transaction.atomic():
        hooks = list(Webhook.objects.select_for_update())
        for hook in hooks:
            hook.encrypted_secret = crypto.reencrypt(hook.encrypted_secret)
            hook.save(update_fields=["encrypted_secret"])
    return len(hooks)


# --- inbound triggers ---------------------------------------------------------------------------


def trigger_secret_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def trigger_create(*, flag: Flag, label: str, created_by: Any = None) -> tuple[FlagTrigger, str]:
    """A new trigger and its secret, which is returned here once and never stored."""
    prefix = f"{TRIGGER_PREFIX}{secrets.token_hex(4)}"
    raw = f"{prefix}_{secrets.token_urlsafe(32)}"
    trigger = FlagTrigger.objects.create(
        flag=flag,
        label=label,
        prefix=prefix,
        secret_hash=trigger_secret_hash(raw),
        created_by=created_by,
    )
    logger.info("trigger %s created for %s (%s)", trigger.prefix, flag.name, label)
    return trigger, raw


def trigger_revoke(*, trigger: FlagTrigger) -> bool:
    """Revoke; False when it already was (nothing written)."""
    if trigger.revoked_at is not None:
        return False
    trigger.revoked_at = timezone.now()
    trigger.save(update_fields=["revoked_at"])
    logger.info("trigger %s for %s revoked", trigger.prefix, trigger.flag.name)
    return True


@dataclass(frozen=True)
class TriggerFired:
    flag: str
    version: int
    changed: bool  # False: the flag was already disabled (nothing written)


def trigger_fire(*, raw: str) -> TriggerFired | None:
    """Disable the trigger's flag (the kill switch, audited with the trigger as its actor).
    None when no active trigger has this secret: the caller cannot tell unknown from revoked."""
    trigger = (
        FlagTrigger.objects.select_related("flag")
        .filter(secret_hash=trigger_secret_hash(raw), revoked_at__isnull=True)
        .first()
    )
    if trigger is None:
        return None
    before = trigger.flag.version
    flag = flag_disable(
        name=trigger.flag.name,
        actor=Actor.trigger(f"{trigger.label} ({trigger.prefix})"),
        source=FlagChange.Source.API,
        comment=f"Disabled by trigger {trigger.label!r}.",
    )
    FlagTrigger.objects.filter(pk=trigger.pk).update(last_used_at=timezone.now())
    return TriggerFired(flag=flag.name, version=flag.version, changed=flag.version != before)
