"""The dashboard says up to when it is aggregated as a person reads a time, not as ISO."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from telemetry.aggregation.services import summaries_aggregate_closed
from telemetry.models import AggregationState
from telemetry.tests.factories import EventFactory

pytestmark = pytest.mark.django_db


def test_aggregated_up_to__readable_local_time_without_microseconds(admin_client: Client) -> None:
    at = timezone.now() - timedelta(hours=2)
    EventFactory(occurred_at=at, received_at=at)
    summaries_aggregate_closed()
    minute = AggregationState.objects.get(bucket_size="minute").received_until
    page = html.unescape(admin_client.get("/telemetry/").content.decode())
    sentence = re.search(r"Aggregated up to:(.*?)\.</p>", page, re.S)
    assert sentence, "no 'Aggregated up to' sentence"
    text = " ".join(sentence.group(1).split())
    stamp = f"{minute.day} {minute:%b %Y, %H:%M:%S} UTC"  # TIME_ZONE is UTC
    assert text.startswith(f"minute {stamp}, hour "), text
    assert minute.isoformat() not in text and not re.search(r"\d{2}:\d{2}:\d{2}\.\d", text)
    assert "from " in text and " on, figures are counted from raw events" in text
