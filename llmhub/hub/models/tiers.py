"""Subscription tiers and the rules saying which models each tier may use."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

GLOB_PATTERN = r"^[A-Za-z0-9._:/*?\[\]!-]+$"
glob_validator = RegexValidator(
    GLOB_PATTERN,
    "Use a glob over model ids such as openai/gpt-4* or ollama/*: letters, digits, "
    "'/', '.', '_', ':', '-' and the wildcards * ? [ ].",
)
MAX_PRIORITY = 1000


class Tier(models.Model):
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    order = models.PositiveSmallIntegerField(unique=True, help_text="Cheapest first.")
    description = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return self.name


class TierRule(models.Model):
    class Decision(models.TextChoices):
        ALLOW = "allow", "Allow"
        DENY = "deny", "Deny"

    tier = models.ForeignKey(Tier, on_delete=models.CASCADE, related_name="rules")
    pattern = models.CharField(max_length=200, validators=[glob_validator])
    decision = models.CharField(max_length=5, choices=Decision.choices)
    max_requests_per_day = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: unlimited."
    )
    max_context_length = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Tokens. Empty: the model's own window.",
    )
    priority = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(MAX_PRIORITY)], help_text="Highest wins."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tier__order", "-priority", "pattern"]
        constraints = [
            models.UniqueConstraint(
                fields=["tier", "pattern"],
                name="hub_tier_rule_unique_pattern",
                violation_error_message="This tier already has a rule with that pattern.",
            ),
            models.CheckConstraint(
                condition=models.Q(priority__lte=MAX_PRIORITY),
                name="hub_tier_rule_priority_max",
                violation_error_message=f"The priority must be from 0 to {MAX_PRIORITY}.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tier.slug}: {self.pattern} → {self.decision} (priority {self.priority})"
