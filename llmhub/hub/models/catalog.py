"""Providers, their API keys (encrypted at rest) and the model catalog."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

from llmhub import crypto
from llmhub.hub.secrets import secret_preview

MODEL_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._:-]*)+$"
model_id_validator = RegexValidator(
    MODEL_ID_PATTERN,
    "Use provider/model, e.g. openai/gpt-4o: the provider's slug, then one or more "
    "path parts of letters, digits, '.', '_', ':' or '-'.",
)
KEY_HINT_PATTERN = r"^[A-Za-z0-9_.:*?-]*$"


class Provider(models.Model):
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    base_url = models.URLField(max_length=200)
    enabled = models.BooleanField(default=True)
    key_format_hint = models.CharField(
        max_length=50,
        blank=True,
        default="",
        validators=[RegexValidator(KEY_HINT_PATTERN, "Use a glob such as sk-ant-*.")],
        help_text="Glob every key of this provider matches, e.g. sk-ant-*. Empty: any format.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProviderKey(models.Model):
    """An API key for a provider. `secret` reads and writes plain text; the row holds only the
    Fernet token and a preview, so a database dump or a log of the row never has the key."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="keys")
    label = models.CharField(max_length=100)
    encrypted_secret = models.TextField(editable=False)
    preview = models.CharField(max_length=40, editable=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    added_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["provider__name", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "label"],
                name="hub_provider_key_unique_label",
                violation_error_message="This provider already has a key with that label.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.preview})"

    @property
    def secret(self) -> str:
        return crypto.decrypt(self.encrypted_secret)

    @secret.setter
    def secret(self, plaintext: str) -> None:
        self.encrypted_secret = crypto.encrypt(plaintext)
        self.preview = secret_preview(plaintext)


class LLMModel(models.Model):
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="models")
    model_id = models.CharField(max_length=200, unique=True, validators=[model_id_validator])
    display_name = models.CharField(max_length=200)
    context_window = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text="Tokens."
    )
    input_price_per_million = models.DecimalField(
        max_digits=10, decimal_places=4, validators=[MinValueValidator(0)], help_text="USD."
    )
    output_price_per_million = models.DecimalField(
        max_digits=10, decimal_places=4, validators=[MinValueValidator(0)], help_text="USD."
    )
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provider__name", "model_id"]
        verbose_name = "LLM model"

    def __str__(self) -> str:
        return self.model_id
