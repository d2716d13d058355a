"""Encryption at rest for provider API keys (Fernet, with a key list so keys can be rotated).

`PROVIDER_KEY_ENCRYPTION_KEYS` lists Fernet keys newest first: the first encrypts, every key
decrypts, and `manage.py rotate_provider_keys` re-encrypts every stored secret with the first.
With the setting empty (development and tests only: production.py refuses to start without it)
a key is derived from SECRET_KEY, so a fresh checkout works without any setup.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_DERIVATION_CONTEXT = b"llmhub.hub.provider-keys:"


class SecretUnreadable(Exception):
    """A stored secret none of the configured keys can decrypt (a key was dropped too early)."""


def derived_development_key(secret_key: str) -> bytes:
    digest = hashlib.sha256(_DERIVATION_CONTEXT + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def configured_keys() -> list[bytes]:
    keys = [key.encode() for key in settings.PROVIDER_KEY_ENCRYPTION_KEYS]
    return keys or [derived_development_key(settings.SECRET_KEY)]


@lru_cache(maxsize=4)
def _fernet(keys: tuple[bytes, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError:
        raise ImproperlyConfigured(
            "PROVIDER_KEY_ENCRYPTION_KEYS must list Fernet keys (32 url-safe base64-encoded bytes; "
            "make one with `python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`)."
        ) from None


def fernet() -> MultiFernet:
    """The current key list (read per call so settings overrides in tests take effect)."""
    return _fernet(tuple(configured_keys()))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "A stored provider key cannot be decrypted with PROVIDER_KEY_ENCRYPTION_KEYS."
        ) from None


def reencrypt(token: str) -> str:
    """The same secret encrypted with the first (newest) key."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "A stored provider key cannot be decrypted with PROVIDER_KEY_ENCRYPTION_KEYS."
        ) from None


def uses_derived_key() -> bool:
    return not settings.PROVIDER_KEY_ENCRYPTION_KEYS
