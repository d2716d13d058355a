"""System checks: a malformed encryption key fails `manage.py check` (and every server start),
not the first request that touches a provider key."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register()
def check_provider_key_encryption(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for position, key in enumerate(settings.PROVIDER_KEY_ENCRYPTION_KEYS, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            errors.append(
                Error(
                    f"PROVIDER_KEY_ENCRYPTION_KEYS entry {position} is not a Fernet key.",
                    hint="A Fernet key is 32 url-safe base64-encoded bytes: "
                    "python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'",
                    id="hub.E001",
                )
            )
    return errors
