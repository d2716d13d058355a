"""API tokens: what services, scripts and OpenFeature providers authenticate with.

A token is shown once, when created. Only its SHA-256 is stored (a token is 256 bits of
randomness, so a fast hash is enough: there is nothing to brute-force), with a short prefix so
people can tell their tokens apart. A token acts as its user, within its scope, and only with the
Django model permissions that user holds.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models

TOKEN_PREFIX = "lhk_"


def token_generate() -> tuple[str, str]:
    """A new secret and its public prefix: `lhk_<8 hex>_<43 url-safe chars>`."""
    prefix = f"{TOKEN_PREFIX}{secrets.token_hex(4)}"
    return f"{prefix}_{secrets.token_urlsafe(32)}", prefix


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


class ApiToken(models.Model):
    class Scope(models.TextChoices):
        READ = "read", "read: evaluate and list flags"
        WRITE = "write", "write: also change flags"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    label = models.CharField(max_length=100, help_text="What uses this token, e.g. 'billing-svc'.")
    prefix = models.CharField(max_length=16, db_index=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.READ)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        # Created by the flags app, where tokens lived first; moved here without touching it.
        db_table = "flags_apitoken"
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.label} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
