"""Input of the batch endpoint. Plain Serializers (not ModelSerializer): a ModelSerializer
would run a SELECT per event for the unique event id, which the database constraint and
bulk_create(ignore_conflicts=True) already handle."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

# What a browser may report. Server-side types (api_call, security, flag_*) come from the
# server only, so a client cannot forge them.
BROWSER_TYPES = ("page_view", "feature_usage", "error", "warning", "performance", "user_action")
MAX_PROPERTIES_BYTES = 4096
MAX_DURATION_MS = 86_400_000.0
LABEL = r"^[A-Za-z0-9_.:/-]*$"


class BrowserEventSerializer(serializers.Serializer):
    event_id = serializers.UUIDField()
    type = serializers.ChoiceField(choices=BROWSER_TYPES)
    occurred_at = serializers.DateTimeField()
    page = serializers.RegexField(LABEL, max_length=200, required=False, allow_blank=True)
    tab = serializers.RegexField(LABEL, max_length=100, required=False, allow_blank=True)
    feature = serializers.RegexField(LABEL, max_length=100, required=False, allow_blank=True)
    action = serializers.RegexField(LABEL, max_length=100, required=False, allow_blank=True)
    flag = serializers.RegexField(LABEL, max_length=100, required=False, allow_blank=True)
    cohort = serializers.RegexField(LABEL, max_length=50, required=False, allow_blank=True)
    duration_ms = serializers.FloatField(
        min_value=0, max_value=MAX_DURATION_MS, required=False, allow_null=True
    )
    status = serializers.IntegerField(min_value=100, max_value=599, required=False, allow_null=True)
    path = serializers.CharField(max_length=500, required=False, allow_blank=True)
    properties = serializers.DictField(required=False)

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
