"""Webhooks, their delivery log, and inbound flag triggers.

Secrets: a webhook's signing secret is stored Fernet-encrypted (the provider keys' key list,
`PROVIDER_KEY_ENCRYPTION_KEYS`) with a preview; a trigger's secret is stored only as its
SHA-256 (256 random bits: nothing to brute-force), shown once when it is created.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from flags.models import Flag
from llmhub import crypto


class Webhook(models.Model):
    """Where to POST flag changes. Empty filters match everything."""

    class Format(models.TextChoices):
        JSON = "json", "JSON (the change, signed)"
        SLACK = "slack", 'Slack-compatible ({"text": ...}, signed)'

    name = models.CharField(max_length=100, unique=True)
    url = models.URLField(max_length=500, help_text="http(s) address that receives a POST.")
    encrypted_secret = models.TextField(editable=False)
    secret_preview = models.CharField(max_length=40, editable=False)
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.JSON)
    actions = models.JSONField(
        default=list, blank=True, help_text="Flag change actions to send; empty: every one."
    )
    sources = models.JSONField(
        default=list,
        blank=True,
        help_text="Sources to send (schedule: rollout plan decisions); empty: every one.",
    )
    flags = models.JSONField(default=list, blank=True, help_text="Flag names; empty: every flag.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def secret(self) -> str:
        return crypto.decrypt(self.encrypted_secret)

    @secret.setter
    def secret(self, plaintext: str) -> None:
        self.encrypted_secret = crypto.encrypt(plaintext)
        self.secret_preview = f"…{plaintext[-4:]}"

    def wants(self, *, flag: str, action: str, source: str) -> bool:
        return (
            self.active
            and (not self.flags or flag in self.flags)
            and (not self.actions or action in self.actions)
            and (not self.sources or source in self.sources)
        )


class WebhookDelivery(models.Model):
    """One flag change sent to one webhook: the exact body, and how its attempts went."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RETRYING = "retrying"
        DELIVERED = "delivered"
        FAILED = "failed", "failed (gave up)"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    delivery_id = models.UUIDField(unique=True, help_text="Sent as X-LLMHub-Delivery.")
    change = models.ForeignKey(
        "flags.FlagChange", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    flag_name = models.CharField(max_length=100)
    event = models.CharField(max_length=50, help_text="Sent as X-LLMHub-Event, e.g. flag.disable.")
    body = models.TextField(help_text="The exact bytes sent (UTF-8), signed at each attempt.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    duration_ms = models.FloatField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event} {self.flag_name} to {self.webhook}: {self.status}"


class FlagTrigger(models.Model):
    """A secret URL that disables one flag: `POST /api/v1/triggers/<secret>`."""

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="+")
    label = models.CharField(max_length=100, help_text="Who calls it, e.g. 'alertmanager'.")
    prefix = models.CharField(max_length=16, editable=False, help_text="To tell triggers apart.")
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.label} ({self.prefix}…) disables {self.flag}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
