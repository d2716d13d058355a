"""Stored telemetry: raw events (append-only), their summaries, and flag evaluation counts.

Dimension columns are NOT NULL with '' for "none", so the unique keys of the summaries work on
every database (NULLs never conflict in a unique index).
"""

from __future__ import annotations

from typing import Any

from django.db import models


class EventType(models.TextChoices):
    PAGE_VIEW = "page_view"
    FEATURE_USAGE = "feature_usage"
    API_CALL = "api_call"
    ERROR = "error"
    WARNING = "warning"
    SECURITY = "security"
    PERFORMANCE = "performance"
    USER_ACTION = "user_action"
    FLAG_EVALUATION = "flag_evaluation"
    FLAG_CHANGE = "flag_change"
    # The hub's feedback prompt ("How is the new LLM hub?") and its "back to the old pages"
    # link: what users say and do about the new hub, read by the rollout's satisfaction gate.
    FEEDBACK = "feedback"
    HUB_OPT_OUT = "hub_opt_out"


# Event types the feedback selectors read (telemetry.feedback): few rows (one per user and
# rollout step at most), found through a partial index instead of a scan of every event.
FEEDBACK_TYPES = (EventType.FEEDBACK.value, EventType.HUB_OPT_OUT.value)


class Event(models.Model):
    """One thing that happened. Rows are inserted in bulk and never edited."""

    # Chosen by the producer, so a retried batch is stored once (the constraint does the dedup).
    event_id = models.UUIDField(unique=True)
    event_type = models.CharField(max_length=20, choices=EventType.choices)
    occurred_at = models.DateTimeField(db_index=True)
    # Server time of storage: aggregation finds late events by it (see telemetry.aggregation).
    received_at = models.DateTimeField(db_index=True)
    user_id = models.CharField(max_length=150, blank=True, default="")
    session_id = models.CharField(max_length=64, blank=True, default="")
    request_id = models.CharField(max_length=128, blank=True, default="")
    page = models.CharField(max_length=200, blank=True, default="")
    tab = models.CharField(max_length=100, blank=True, default="")
    feature = models.CharField(max_length=100, blank=True, default="")
    action = models.CharField(max_length=100, blank=True, default="")
    flag = models.CharField(max_length=100, blank=True, default="")
    cohort = models.CharField(max_length=50, blank=True, default="")
    duration_ms = models.FloatField(null=True, blank=True)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    path = models.CharField(max_length=500, blank=True, default="")
    method = models.CharField(max_length=10, blank=True, default="")
    properties = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(
                fields=["flag", "occurred_at"],
                condition=models.Q(event_type__in=FEEDBACK_TYPES),
                name="telemetry_event_feedback_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.page or self.path} {self.occurred_at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Events are append-only; stored rows are never edited.")
        super().save(*args, **kwargs)


class BucketSize(models.TextChoices):
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"


class EventSummary(models.Model):
    """Aggregates of the events of one closed time bucket and one combination of dimensions."""

    bucket_size = models.CharField(max_length=10, choices=BucketSize.choices)
    bucket_start = models.DateTimeField()
    event_type = models.CharField(max_length=20, choices=EventType.choices)
    page = models.CharField(max_length=200, blank=True, default="")
    tab = models.CharField(max_length=100, blank=True, default="")
    flag = models.CharField(max_length=100, blank=True, default="")
    cohort = models.CharField(max_length=50, blank=True, default="")
    count = models.PositiveIntegerField()
    users = models.PositiveIntegerField(help_text="Distinct user ids in the bucket.")
    errors = models.PositiveIntegerField(
        help_text="Server errors: error events and responses with status >= 500."
    )
    client_errors = models.PositiveIntegerField(
        default=0, help_text="Client errors: responses with status 400-499."
    )
    p50_ms = models.FloatField(null=True, blank=True)
    # The rollout's latency gate compares the cohorts' p75 (rollout.gates).
    p75_ms = models.FloatField(null=True, blank=True)
    p95_ms = models.FloatField(null=True, blank=True)
    max_ms = models.FloatField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-bucket_start", "event_type", "page"]
        verbose_name_plural = "event summaries"
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "bucket_size",
                    "bucket_start",
                    "event_type",
                    "page",
                    "tab",
                    "flag",
                    "cohort",
                ],
                name="telemetry_summary_bucket_key",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.bucket_size} {self.bucket_start:%Y-%m-%d %H:%M} {self.event_type} {self.page}"
        )


class CohortDaySummary(models.Model):
    """Per closed day and cohort, the two figures no sum of summary rows gives: distinct users
    who viewed a page, and the p95 latency of timed events (page loads, API calls). Filled with
    the day summaries, so the dashboard reads no raw event for closed days."""

    bucket_start = models.DateTimeField()
    cohort = models.CharField(max_length=50, blank=True, default="")
    users = models.PositiveIntegerField(help_text="Distinct user ids with a page view.")
    p95_ms = models.FloatField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-bucket_start", "cohort"]
        verbose_name_plural = "cohort day summaries"
        constraints = [
            models.UniqueConstraint(
                fields=["bucket_start", "cohort"], name="telemetry_cohort_day_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.bucket_start:%Y-%m-%d} {self.cohort}: {self.users} users"


class AggregationState(models.Model):
    """Fill state per bucket size: events received before `received_until` are aggregated.

    It moves in the same transaction as the summaries it covers, so a run that dies leaves it
    where it was and the next run redoes the buckets whole.
    """

    bucket_size = models.CharField(max_length=10, choices=BucketSize.choices, unique=True)
    received_until = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_run_seconds = models.FloatField(null=True, blank=True)
    last_run_buckets = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.bucket_size} until {self.received_until}"


class FlagEvaluationCount(models.Model):
    """Evaluations per flag, reason (which implies the outcome) and minute, summed in process."""

    bucket_start = models.DateTimeField()
    flag = models.CharField(max_length=100)
    reason = models.CharField(max_length=20)
    enabled = models.BooleanField()
    count = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["-bucket_start", "flag", "reason"]
        constraints = [
            models.UniqueConstraint(
                fields=["bucket_start", "flag", "reason"], name="telemetry_flag_count_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.flag} {self.reason} {self.bucket_start:%Y-%m-%d %H:%M}: {self.count}"


class DroppedEventCount(models.Model):
    """Events a full process buffer dropped (the database too slow or away), per minute of the
    report and event type, added up across processes: the dashboard shows what was lost."""

    bucket_start = models.DateTimeField()
    event_type = models.CharField(max_length=20, choices=EventType.choices)
    count = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["-bucket_start", "event_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["bucket_start", "event_type"], name="telemetry_dropped_count_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.bucket_start:%Y-%m-%d %H:%M}: {self.count} dropped"
