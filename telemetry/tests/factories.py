"""Factories for telemetry rows and browser event payloads."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, cast

import factory
from django.utils import timezone

from telemetry.models import Event


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    event_id = factory.LazyFunction(uuid.uuid4)
    event_type = "page_view"
    occurred_at = factory.LazyFunction(timezone.now)
    received_at = factory.LazyAttribute(lambda e: e.occurred_at)
    page = "hub"
    cohort = "new_hub"
    user_id = factory.Sequence(lambda n: f"user{n}")


def browser_event(**fields: Any) -> dict[str, Any]:
    """One event as a browser posts it."""
    event: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "type": "page_view",
        "occurred_at": datetime.now(UTC).isoformat(),
        "page": "llm-hub",
        "tab": "providers",
        "cohort": "new_hub",
    }
    event.update(fields)
    return event


class EventRowFactory(factory.DictFactory):
    """One row as `telemetry.services.events_store` takes it: every column, blank by default."""

    event_id = factory.LazyFunction(uuid.uuid4)
    event_type = "page_view"
    occurred_at = factory.LazyFunction(timezone.now)
    received_at = factory.LazyAttribute(lambda row: row.occurred_at)
    user_id = ""
    session_id = ""
    request_id = ""
    page = ""
    tab = ""
    feature = ""
    action = ""
    flag = ""
    cohort = ""
    duration_ms = None
    status = None
    path = ""
    method = ""
    properties = factory.LazyFunction(dict)


def event_row(**fields: Any) -> dict[str, Any]:
    """One row for `events_store` (an EventRowFactory, typed as the dict it builds)."""
    return cast(dict[str, Any], EventRowFactory(**fields))
