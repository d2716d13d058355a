"""A broker that is down or hangs never blocks or fails a request; old events are pruned."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from llmhub.celery import app
from telemetry.enqueue import publish
from telemetry.models import Event, EventSummary
from telemetry.services import events_prune
from telemetry.tasks import aggregate_closed_buckets, prune_events
from telemetry.tests.factories import EventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def silent_broker() -> Iterator[str]:
    """A TCP server that accepts connections and never answers: a hung Redis."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def _closed_port() -> str:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"redis://127.0.0.1:{port}/0"


def _use_broker(url: str) -> None:
    app.conf.broker_url = url
    app.pool.force_close_all()
    app._after_fork()  # a closed pool stays closed: drop it (and its producers) for new ones


@pytest.fixture
def real_publishing(settings) -> Iterator[None]:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    broker = app.conf.broker_url
    yield
    app.conf.task_always_eager = True
    _use_broker(broker)


@pytest.mark.parametrize("broker", ["down", "hung"])
def test_publish__broker_down_or_hung__returns_within_the_timeout(
    real_publishing: None, silent_broker: str, settings, broker: str
) -> None:
    _use_broker(_closed_port() if broker == "down" else silent_broker)
    settings.TELEMETRY_ENQUEUE_TIMEOUT_SECONDS = 0.3
    started = time.monotonic()
    assert publish(aggregate_closed_buckets) is False
    assert time.monotonic() - started < 1.0


def test_aggregate_now__broker_hung__the_request_still_succeeds_quickly(
    real_publishing: None,
    silent_broker: str,
    settings,
    django_user_model,
    django_capture_on_commit_callbacks,
) -> None:
    _use_broker(silent_broker)
    settings.TELEMETRY_ENQUEUE_TIMEOUT_SECONDS = 0.3
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("boss"))
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/telemetry/aggregate")
    assert response.status_code == 302
    assert time.monotonic() - started < 1.5


def test_prune__events_older_than_retention__are_deleted_and_summaries_kept(settings) -> None:
    settings.TELEMETRY_RETENTION_DAYS = 30
    old = timezone.now() - timedelta(days=31)
    EventFactory.create_batch(3, occurred_at=old, received_at=old)
    recent = EventFactory(occurred_at=timezone.now() - timedelta(days=2))
    EventSummary.objects.create(
        bucket_size="hour",
        bucket_start=old.replace(minute=0, second=0, microsecond=0),
        event_type="page_view",
        count=3,
        users=1,
        errors=0,
        updated_at=timezone.now(),
    )
    assert prune_events.apply().get() == 3
    assert list(Event.objects.all()) == [recent]
    assert EventSummary.objects.count() == 1
    assert events_prune() == 0
