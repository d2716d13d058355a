"""Input of the batch endpoint. Plain Serializers (not ModelSerializer): a ModelSerializer
would run a SELECT per event for the unique event id, which the database constraint already
handles (telemetry.services.events_store skips stored ids)."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# What a browser may report. Server-side types (api_call, security, flag_*) come from the
# server only, so a client cannot forge them.
BROWSER_TYPES = ("page_view", "feature_usage", "error", "warning", "performance", "user_action")
MAX_PROPERTIES_BYTES = 4096
MAX_DURATION_MS = 86_400_000.0
LABEL = re.compile(r"[A-Za-z0-9_.:/-]*")


@extend_schema_field({"type": "string", "pattern": "^[A-Za-z0-9_.:/-]*$"})
class LabelField(serializers.Field):
    """A short label (page, tab, flag, ...): one regex check and nothing else.

    A RegexField runs four validators per value; six labels per event made them the largest
    single cost of validating a batch.
    """

    default_error_messages = {
        "invalid": "Use at most {max_length} of the characters A-Z a-z 0-9 _ . : / -.",
    }

    def __init__(self, *, max_length: int) -> None:
        super().__init__(required=False)
        self.max_length = max_length

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str) or len(data) > self.max_length or not LABEL.fullmatch(data):
            self.fail("invalid", max_length=self.max_length)
        return data

    def to_representation(self, value: Any) -> str:
        return str(value)


class BrowserEventSerializer(serializers.Serializer):
    event_id = serializers.UUIDField()
    type = serializers.ChoiceField(choices=BROWSER_TYPES)
    occurred_at = serializers.DateTimeField()
    page = LabelField(max_length=200)
    tab = LabelField(max_length=100)
    feature = LabelField(max_length=100)
    action = LabelField(max_length=100)
    flag = LabelField(max_length=100)
    cohort = LabelField(max_length=50)
    duration_ms = serializers.FloatField(
        min_value=0, max_value=MAX_DURATION_MS, required=False, allow_null=True
    )
    status = serializers.IntegerField(min_value=100, max_value=599, required=False, allow_null=True)
    path = serializers.CharField(max_length=500, required=False, allow_blank=True)
    properties = serializers.DictField(required=False)

    def validate_duration_ms(self, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise serializers.ValidationError("A duration must be a finite number.")
        return value

    def validate_occurred_at(self, value: datetime) -> datetime:
        hours = settings.TELEMETRY_MAX_EVENT_AGE_HOURS
        if value < timezone.now() - timedelta(hours=hours):
            raise serializers.ValidationError(f"Events older than {hours} hours are not accepted.")
        return value

    def validate_properties(self, value: dict[str, Any]) -> dict[str, Any]:
        if len(json.dumps(value, default=str)) > MAX_PROPERTIES_BYTES:
            raise serializers.ValidationError(
                f"Properties may take at most {MAX_PROPERTIES_BYTES} bytes as JSON."
            )
        return value


class BatchSerializer(serializers.Serializer):
    events: serializers.ListSerializer[dict[str, Any]] = serializers.ListSerializer(
        child=BrowserEventSerializer(),
        allow_empty=False,
        max_length=settings.TELEMETRY_MAX_BATCH_EVENTS,
    )


class IngestResultSerializer(serializers.Serializer):
    stored = serializers.IntegerField(help_text="Events stored by this request.")
    duplicates = serializers.IntegerField(help_text="Events whose id was already stored.")
