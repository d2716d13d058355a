"""Read-only admin for stored telemetry: rows are written by telemetry's services only."""

from __future__ import annotations

from django.contrib import admin

from llmhub.admin_readonly import ReadOnlyAdminMixin
from telemetry.models import AggregationState, Event, EventSummary, FlagEvaluationCount


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = (
        "occurred_at",
        "event_type",
        "page",
        "tab",
        "flag",
        "cohort",
        "user_id",
        "status",
        "duration_ms",
    )
    list_filter = (
        "event_type",
        "cohort",
        ("occurred_at", admin.DateFieldListFilter),
        "page",
        "flag",
    )
    search_fields = ("=event_id", "=request_id", "user_id", "page", "path", "flag")
    date_hierarchy = "occurred_at"
    show_full_result_count = False  # a COUNT(*) over millions of rows per page view is costly


@admin.register(EventSummary)
class EventSummaryAdmin(ReadOnlyAdmin):
    list_display = (
        "bucket_start",
        "bucket_size",
        "event_type",
        "page",
        "tab",
        "flag",
        "cohort",
        "count",
        "users",
        "errors",
        "client_errors",
        "p50_ms",
        "p95_ms",
        "max_ms",
    )
    list_filter = (
        "bucket_size",
        "event_type",
        "cohort",
        ("bucket_start", admin.DateFieldListFilter),
        "page",
        "flag",
    )
    date_hierarchy = "bucket_start"
    show_full_result_count = False


@admin.register(FlagEvaluationCount)
class FlagEvaluationCountAdmin(ReadOnlyAdmin):
    list_display = ("bucket_start", "flag", "reason", "enabled", "count")
    list_filter = ("flag", "enabled", "reason", ("bucket_start", admin.DateFieldListFilter))
    date_hierarchy = "bucket_start"


@admin.register(AggregationState)
class AggregationStateAdmin(ReadOnlyAdmin):
    list_display = (
        "bucket_size",
        "received_until",
        "last_run_at",
        "last_run_seconds",
        "last_run_buckets",
    )
