"""Checks and masking for provider API keys. Nothing here ever returns a secret whole."""

from __future__ import annotations

import string
from fnmatch import fnmatchcase

MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 500
_ALLOWED = frozenset(string.ascii_letters + string.digits + "-_.:+/=")
ELLIPSIS = "…"


def secret_preview(secret: str) -> str:
    """`sk-ab…wxyz`: enough to recognise a key, never enough to use it.

    Valid secrets have at least 16 characters, so at most 9 of them show; anything shorter
    (only possible for rows written around the services) shows its last two characters.
    """
    if len(secret) >= MIN_SECRET_LENGTH:
        return f"{secret[:5]}{ELLIPSIS}{secret[-4:]}"
    return f"{ELLIPSIS}{secret[-2:]}" if len(secret) > 4 else ELLIPSIS


def secret_problems(secret: str, *, provider_name: str, hint: str) -> list[str]:
    """Why `secret` cannot be a key of this provider (empty list: it can). Never echoes it."""
    if not secret:
        return ["Enter the API key."]
    if len(secret) < MIN_SECRET_LENGTH:
        return [f"An API key has at least {MIN_SECRET_LENGTH} characters."]
    if len(secret) > MAX_SECRET_LENGTH:
        return [f"An API key has at most {MAX_SECRET_LENGTH} characters."]
    if not set(secret) <= _ALLOWED:
        return ["An API key has no spaces or special characters (letters, digits, - _ . : + / =)."]
    if hint and not fnmatchcase(secret, hint):
        return [f"{provider_name} keys look like {hint}; this one does not."]
    return []
