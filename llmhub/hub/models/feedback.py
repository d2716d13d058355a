"""What the hub remembers about its feedback prompt and the way back to the old pages.

The answers themselves are telemetry events (`feedback`, `hub_opt_out`); these rows only
decide what the hub shows a user next.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class FeedbackPromptReply(models.Model):
    """A user answered or dismissed the feedback prompt at one rollout step of a flag: the
    prompt is not shown to them again until the rollout moves to another step."""

    class Outcome(models.TextChoices):
        POSITIVE = "positive"
        NEGATIVE = "negative"
        DISMISSED = "dismissed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    flag = models.CharField(max_length=100)
    step = models.CharField(max_length=100)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "flag", "step"], name="hub_feedback_reply_once_per_step"
            )
        ]

    def __str__(self) -> str:
        return f"{self.flag} {self.step}: {self.outcome}"


class HubOptOut(models.Model):
    """A user who chose "back to the old pages" in the new hub: served the old pages, although
    the flag lets them in, until they choose "Try the new hub" there."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    step = models.CharField(max_length=100, help_text="The rollout step the user left at.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"opted out at {self.step}"
