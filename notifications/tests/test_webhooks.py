"""Webhooks on flag changes, delivered to a real HTTP server the test starts: signed, retried
with backoff by a real Celery worker (in-process, memory broker), logged, given up after N."""

from __future__ import annotations

import io
import itertools
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from flags.services import flag_create, flag_disable, flag_set_rollout
from llmhub.actors import Actor
from llmhub.celery import app
from notifications.models import Webhook, WebhookDelivery
from notifications.services import delivery_attempt
from notifications.signing import HEADER, verify
from notifications.tasks import send_due_deliveries
from notifications.tests.receiver import webhook_receiver

ACTOR = Actor.system("webhook test")
SECRET = "whsec-test-0123456789abcdef"
SIGNATURE = HEADER.lower()
FAST = {"NOTIFICATIONS_WEBHOOK_BACKOFF_SECONDS": 0.2, "NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS": 3}


def _webhook(url: str, **fields: Any) -> Webhook:
    hook = Webhook(name=fields.pop("name", "ops"), url=url, **fields)
    hook.secret = SECRET
    hook.save()
    return hook


@pytest.fixture
def worker() -> Iterator[None]:
    """A real Celery worker thread on the configured broker (Redis with REDIS_URL, else the
    in-process memory transport): tasks go through the broker, and `self.retry(countdown=...)`
    waits as it would in production."""
    app.conf.task_always_eager = False
    try:
        with (
            override_settings(CELERY_TASK_ALWAYS_EAGER=False),
            start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10),
        ):
            yield
    finally:
        # The broker is left as configured: a worker test after this one publishes to it.
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


def _delivery(count: int = 1, status: str | None = None, seconds: float = 15.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        rows = list(WebhookDelivery.objects.order_by("id"))
        if len(rows) >= count and (status is None or rows[-1].status == status):
            return rows[-1]
        time.sleep(0.05)
    raise AssertionError(
        f"no delivery with status {status}: {list(WebhookDelivery.objects.values())}"
    )


@pytest.mark.django_db(transaction=True)
@override_settings(**FAST)
def test_flag_disabled__webhook_receives_the_change__signature_verifies(worker: None) -> None:
    with webhook_receiver(200) as receiver:
        _webhook(receiver.url)
        flag_create(name="checkout", actor=ACTOR, source="command", enabled=True)
        # when the kill switch is flipped
        flag_disable(name="checkout", actor=ACTOR, source="command", comment="incident 7")
        delivery = _delivery(2, "delivered")
        [created, disabled] = receiver.wait_for(2)
    # then the receiver got both changes, in order, each signed with the webhook's secret
    assert verify(SECRET, disabled.headers[SIGNATURE], disabled.body)
    assert not verify("another-secret-0123456789", disabled.headers[SIGNATURE], disabled.body)
    assert not verify(SECRET, disabled.headers[SIGNATURE], disabled.body + b" ")
    document = json.loads(disabled.body)
    assert document["event"] == "flag.disable" == disabled.headers["x-llmhub-event"]
    assert (document["flag"], document["enabled"], document["comment"]) == (
        "checkout",
        False,
        "incident 7",
    )
    assert document["changed"] == {"enabled": {"before": True, "after": False}}
    assert disabled.headers["x-llmhub-delivery"] == document["delivery_id"]
    assert json.loads(created.body)["event"] == "flag.create"
    # and the delivery log says so
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 1, 200)
    assert delivery.duration_ms is not None and delivery.duration_ms >= 0


@pytest.mark.django_db(transaction=True)
@override_settings(**FAST)
def test_receiver_fails_twice__retried_with_backoff__then_delivered(worker: None) -> None:
    with webhook_receiver(500, 503, 200) as receiver:
        _webhook(receiver.url, actions=["rollout"])
        flag_create(name="search", actor=ACTOR, source="command", enabled=True)
        flag_set_rollout(name="search", percentage=30, actor=ACTOR, source="command")
        delivery = _delivery(1, "delivered")
        attempts = receiver.wait_for(3)
    # three attempts of the same delivery, the same body, waits growing 0.2 s then 0.4 s
    assert len(attempts) == 3
    assert len({a.headers["x-llmhub-delivery"] for a in attempts}) == 1
    assert len({a.body for a in attempts}) == 1
    waits = [later.at - earlier.at for earlier, later in itertools.pairwise(attempts)]
    assert 0.2 <= waits[0] < 0.4 + 0.5 and 0.4 <= waits[1] < 0.8 + 0.5, waits
    assert (delivery.status, delivery.attempts, delivery.response_code, delivery.error) == (
        "delivered",
        3,
        200,
        "",
    )


@pytest.mark.django_db(transaction=True)
@override_settings(**FAST)
def test_receiver_keeps_failing__gives_up_after_max_attempts(worker: None) -> None:
    with webhook_receiver(500) as receiver:
        _webhook(receiver.url)
        flag_create(name="billing", actor=ACTOR, source="command")
        delivery = _delivery(1, "failed")
        time.sleep(1.0)  # no further attempt comes after giving up
        assert len(receiver.received) == 3
    assert (delivery.attempts, delivery.response_code) == (3, 500)
    assert "HTTP 500" in delivery.error
    assert delivery.next_attempt_at is None


@pytest.mark.django_db(transaction=True)
def test_slack_format__a_text_line_people_read() -> None:
    with webhook_receiver(200) as receiver:
        _webhook(receiver.url, format=Webhook.Format.SLACK, actions=["disable"])
        flag_create(name="hub", actor=ACTOR, source="command", enabled=True)
        flag_disable(name="hub", actor=Actor.system("ops"), source="api", comment="errors up")
        [message] = receiver.wait_for(1)
    body = json.loads(message.body)
    assert list(body) == ["text"]
    assert body["text"] == (
        "Flag `hub` *disabled* (kill switch) by ops (v2; changed: enabled): errors up"
    )
    assert verify(SECRET, message.headers[SIGNATURE], message.body)


@pytest.mark.django_db(transaction=True)
def test_filters__only_wanted_changes_to_active_webhooks() -> None:
    with webhook_receiver(200) as receiver:
        _webhook(receiver.url, name="kills", actions=["disable"], flags=["a"])
        _webhook(receiver.url, name="plans", sources=["schedule"])
        _webhook(receiver.url, name="off", active=False)
        flag_create(name="a", actor=ACTOR, source="command", enabled=True)
        flag_create(name="b", actor=ACTOR, source="command", enabled=True)
        flag_disable(name="b", actor=ACTOR, source="command")
        flag_set_rollout(name="a", percentage=50, actor=ACTOR, source="schedule")
        flag_disable(name="a", actor=ACTOR, source="command")
        receiver.wait_for(2)
    sent = sorted(WebhookDelivery.objects.values_list("webhook__name", "flag_name", "event"))
    assert sent == [("kills", "a", "flag.disable"), ("plans", "a", "flag.rollout")]


@pytest.mark.django_db(transaction=True)
@override_settings(**FAST)
def test_without_a_broker__retries_left_due__sent_by_the_command_and_the_sweep() -> None:
    # the embedded default: tasks run eagerly, the first attempt inline, no sleeping retries
    with webhook_receiver(500, 500, 200) as receiver:
        _webhook(receiver.url)
        flag_create(name="x", actor=ACTOR, source="command")
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts) == ("retrying", 1)
        time.sleep(0.25)
        call_command("webhooks", "send-due")
        time.sleep(0.45)
        assert send_due_deliveries.apply().get() == 1
        assert len(receiver.received) == 3
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)


@pytest.mark.django_db(transaction=True)
def test_an_attempt_is_claimed_once__a_second_task_for_it_sends_nothing() -> None:
    with webhook_receiver(500) as receiver:
        _webhook(receiver.url)
        flag_create(name="y", actor=ACTOR, source="command")
        delivery = WebhookDelivery.objects.get()
        # a duplicate message for the same delivery (sweep and retry both queued it)
        assert delivery_attempt(delivery_id=delivery.pk).status == "skipped"
        assert len(receiver.received) == 1


@pytest.mark.django_db
def test_secret__encrypted_at_rest_and_previewed_only() -> None:
    hook = _webhook("https://hooks.example/x")
    row = Webhook.objects.values("encrypted_secret", "secret_preview").get()
    assert SECRET not in row["encrypted_secret"]
    assert row["secret_preview"] == "…cdef"
    assert Webhook.objects.get(pk=hook.pk).secret == SECRET


@pytest.mark.django_db
def test_rotate_secrets__re_encrypted_with_the_newest_key__old_key_can_go() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(PROVIDER_KEY_ENCRYPTION_KEYS=[old]):
        _webhook("https://hooks.example/r")
    with override_settings(PROVIDER_KEY_ENCRYPTION_KEYS=[new, old]):
        call_command("webhooks", "rotate-secrets", stdout=io.StringIO())
    with override_settings(PROVIDER_KEY_ENCRYPTION_KEYS=[new]):
        assert Webhook.objects.get().secret == SECRET


@pytest.mark.django_db(transaction=True)
def test_secret_unreadable__delivery_failed_at_once__the_change_itself_unharmed() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with webhook_receiver(200) as receiver:
        with override_settings(PROVIDER_KEY_ENCRYPTION_KEYS=[old]):
            _webhook(receiver.url)
        with override_settings(PROVIDER_KEY_ENCRYPTION_KEYS=[new]):  # the old key dropped
            flag = flag_create(name="z", actor=ACTOR, source="command", enabled=True)
        assert receiver.received == []
    assert flag.pk is not None
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "cannot be decrypted" in delivery.error
