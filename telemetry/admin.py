"""Read-only admin for stored telemetry: rows are written by telemetry's services only.

Sized for millions of raw events and summary rows: no list filter reads every row for its
choices (fixed sets, or values of the hourly summaries, at most `FILTER_VALUES`), no date
drill-down (its per-day DISTINCT scans a month of rows; the date filter stays), and a list
counts at most `COUNT_CAP` rows.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property
from typing import Any

from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from flags.types import Reason
from llmhub.admin_readonly import ReadOnlyAdminMixin
from telemetry.models import (
    AggregationState,
    BucketSize,
    Event,
    EventSummary,
    FlagEvaluationCount,
)

FILTER_VALUES = 50
FILTER_PERIOD = timedelta(days=31)
COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):
    """Counts no further than `COUNT_CAP` rows, so a list over 5 million events answers in
    milliseconds; past the cap (100 pages) narrow the list with a filter or the date."""

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        assert isinstance(rows, QuerySet)  # the admin paginates querysets
        return rows[:COUNT_CAP].count()


def summarised(field: str, title: str) -> type[admin.SimpleListFilter]:
    """A filter on `field` offering the values of the last month's hourly summaries (thousands
    of rows, not the millions of events), in name order, at most `FILTER_VALUES` of them."""

    class SummarisedValues(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
            values = (
                EventSummary.objects.filter(
                    bucket_size=BucketSize.HOUR, bucket_start__gte=timezone.now() - FILTER_PERIOD
                )
                .exclude(**{field: ""})
                .order_by(field)
                .values_list(field, flat=True)
                .distinct()[:FILTER_VALUES]
            )
            return [(value, value) for value in values]

        def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
            value = self.value()
            return queryset.filter(**{field: value}) if value else queryset

    SummarisedValues.title = title
    return SummarisedValues


class ReasonFilter(admin.SimpleListFilter):
    """The evaluation reasons are a fixed set: no DISTINCT over the counts to list them."""

    title = "reason"
    parameter_name = "reason"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(reason.value, reason.value) for reason in Reason]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(reason=value) if value else queryset


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    paginator = CappedCountPaginator
    show_full_result_count = False  # a second COUNT(*) over every row per page view


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
        summarised("cohort", "cohort"),
        ("occurred_at", admin.DateFieldListFilter),
        summarised("page", "page"),
        summarised("flag", "flag"),
    )
    search_fields = ("=event_id", "=request_id", "user_id", "page", "path", "flag")


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
        "p75_ms",
        "p95_ms",
        "max_ms",
    )
    list_filter = (
        "bucket_size",
        "event_type",
        summarised("cohort", "cohort"),
        ("bucket_start", admin.DateFieldListFilter),
        summarised("page", "page"),
        summarised("flag", "flag"),
    )


@admin.register(FlagEvaluationCount)
class FlagEvaluationCountAdmin(ReadOnlyAdmin):
    list_display = ("bucket_start", "flag", "reason", "enabled", "count")
    # One choice per flag would list 10,000 names on every page: find a flag by its name.
    list_filter = ("enabled", ReasonFilter, ("bucket_start", admin.DateFieldListFilter))
    search_fields = ("=flag",)


@admin.register(AggregationState)
class AggregationStateAdmin(ReadOnlyAdmin):
    list_display = (
        "bucket_size",
        "received_until",
        "last_run_at",
        "last_run_seconds",
        "last_run_buckets",
    )
