"""Flag configuration and its append-only audit trail.

Models validate themselves (constraints) and hold no workflows: every write goes through
`flags.services`, which bumps the version, writes the `FlagChange` and invalidates caches.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,99}$"
name_validator = RegexValidator(
    NAME_PATTERN,
    "Use 1-100 lowercase letters, digits, '_' or '-', starting with a letter or digit.",
)


class Tag(models.Model):
    """A label on flags. A table (not a JSON list) so tag filters work on SQLite and PostgreSQL."""

    name = models.CharField(max_length=50, unique=True, validators=[name_validator])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Flag(models.Model):
    name = models.CharField(max_length=100, unique=True, validators=[name_validator])
    description = models.TextField(blank=True, default="")
    enabled = models.BooleanField(default=False, help_text="The kill switch: off blocks everyone.")
    rollout_percentage = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(100)]
    )
    rollout_group = models.CharField(
        max_length=100, help_text="Bucketing seed; defaults to the name. Change it to reshuffle."
    )
    whitelist_users = models.JSONField(default=list, blank=True)
    blacklist_users = models.JSONField(default=list, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="flags")
    owner = models.CharField(max_length=150, blank=True, default="")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rollout_percentage__gte=0, rollout_percentage__lte=100),
                name="flag_rollout_percentage_0_100",
                violation_error_message="The rollout percentage must be from 0 to 100.",
            ),
            models.CheckConstraint(
                condition=models.Q(starts_at__isnull=True)
                | models.Q(ends_at__isnull=True)
                | models.Q(starts_at__lt=models.F("ends_at")),
                name="flag_starts_before_ends",
                violation_error_message="The window must start before it ends.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FlagChange(models.Model):
    """One row per change to a flag: who, from where, and the whole configuration around it."""

    class Source(models.TextChoices):
        ADMIN = "admin"
        API = "api"
        COMMAND = "command"
        SCHEDULE = "schedule"
        SETTINGS = "settings"

    class ActorKind(models.TextChoices):
        USER = "user"
        TOKEN = "token"
        COMMAND = "command"
        SYSTEM = "system"
        # An inbound trigger URL (notifications.FlagTrigger): a pager or Alertmanager.
        TRIGGER = "trigger"

    class Action(models.TextChoices):
        CREATE = "create"
        UPDATE = "update"
        ENABLE = "enable"
        DISABLE = "disable"
        ROLLOUT = "rollout"
        LISTS = "lists"
        DELETE = "delete"
        ROLLBACK = "rollback"

    # The name, not only a foreign key, so the trail outlives a deleted flag.
    flag = models.ForeignKey(Flag, null=True, on_delete=models.SET_NULL, related_name="changes")
    flag_name = models.CharField(max_length=100, db_index=True)
    version = models.PositiveIntegerField()
    action = models.CharField(max_length=20, choices=Action.choices)
    actor = models.CharField(max_length=200, help_text="Username, token label or command.")
    actor_kind = models.CharField(max_length=20, choices=ActorKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    source = models.CharField(max_length=20, choices=Source.choices)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    comment = models.TextField(blank=True, default="")
    # What justified an automatic change: a rollout plan's decision and its gate figures.
    details = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["flag_name", "-version"])]

    def __str__(self) -> str:
        return f"{self.flag_name} v{self.version} {self.action} by {self.actor}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("FlagChange is append-only; history rows are never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("FlagChange is append-only; history rows are never deleted.")

    def changed_fields(self) -> dict[str, tuple[Any, Any]]:
        """Fields whose value differs between before and after, as (old, new)."""
        before, after = self.before or {}, self.after or {}
        keys = sorted(set(before) | set(after))
        return {k: (before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)}
