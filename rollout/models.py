"""A rollout plan: a flag's ordered steps, the gate thresholds, and where the plan stands.

Models hold no workflow: every write goes through `rollout.services`, which moves the plan
under a row lock and bumps `version` with every change (the crash-safe decision key).
"""

from __future__ import annotations

from datetime import timedelta

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from flags.models import Flag
from telemetry.cohorts import NEW_HUB, OLD_PAGES


class RolloutPlan(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active"
        PAUSED = "paused"
        COMPLETED = "completed"
        KILLED = "killed"
        ABORTED = "aborted"

    flag = models.OneToOneField(Flag, on_delete=models.CASCADE, related_name="rollout_plan")
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    position = models.PositiveSmallIntegerField(default=0, help_text="The current step.")
    step_started_at = models.DateTimeField()
    next_decision_at = models.DateTimeField()
    # Grows by one with every change of the plan: API writes may name it (If-Match).
    version = models.PositiveIntegerField(default=1)
    # The flag's version after the plan's own last write: a newer one is a human's change.
    flag_version = models.PositiveIntegerField()
    paused_reason = models.TextField(blank=True, default="")
    # Gate thresholds (docs/ROLLBACK_PLAN.md section 3; rollout.gates.Thresholds).
    error_ceiling = models.FloatField(
        default=0.01, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    confidence = models.FloatField(
        default=0.99, validators=[MinValueValidator(0.5), MaxValueValidator(0.9999)]
    )
    latency_tolerance = models.FloatField(default=0.10, validators=[MinValueValidator(0.0)])
    latency_critical = models.FloatField(default=0.50, validators=[MinValueValidator(0.0)])
    satisfaction_min = models.FloatField(
        default=0.80, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    min_requests = models.PositiveIntegerField(default=1000, validators=[MinValueValidator(1)])
    min_answers = models.PositiveIntegerField(default=20)
    window_minutes = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(1), MaxValueValidator(1440)]
    )
    new_cohort = models.CharField(max_length=50, default=NEW_HUB)
    old_cohort = models.CharField(max_length=50, default=OLD_PAGES)
    last_decision = models.CharField(max_length=10, blank=True, default="")
    last_reason = models.TextField(blank=True, default="")
    last_gates = models.JSONField(default=list, blank=True)
    last_evaluated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["flag__name"]

    def __str__(self) -> str:
        return f"Rollout plan of {self.flag.name}"


class RolloutStep(models.Model):
    plan = models.ForeignKey(RolloutPlan, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100)
    percentage = models.PositiveSmallIntegerField(validators=[MaxValueValidator(100)])
    # Placeholder for targeting (issue 9): segment names this step opens to; unused until then.
    segments = models.JSONField(default=list, blank=True)
    min_dwell = models.DurationField(default=timedelta(days=7))
    max_dwell = models.DurationField(null=True, blank=True)
    entered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "position"], name="rollout_step_position"),
            models.CheckConstraint(
                condition=models.Q(percentage__lte=100), name="rollout_step_percentage_0_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position + 1}. {self.name} ({self.percentage} %)"
