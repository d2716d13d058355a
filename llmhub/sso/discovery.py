"""The provider's metadata (`/.well-known/openid-configuration`) and signing keys, per process.

Fetched on first use, not at start: a provider that is down must not stop the site from
starting (local passwords keep working). Kept `OIDC_DISCOVERY_CACHE_SECONDS`; the keys are
fetched again at once when a token names a key id this process has not seen (key rotation).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import jwt
import requests
from django.conf import settings

from llmhub.sso.errors import ProviderUnavailable

_lock = threading.Lock()
# (issuer or keys URL, expires at, value): a changed OIDC_ISSUER is never served the old one.
_metadata: tuple[str, float, dict[str, Any]] | None = None
_keys: tuple[str, float, dict[str, jwt.PyJWK]] | None = None


def _get_json(url: str, what: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT, verify=settings.OIDC_VERIFY_SSL)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"{what}: {type(exc).__name__}") from exc
    if not isinstance(data, dict):
        raise ProviderUnavailable(f"{what}: not a JSON object")
    return data


def metadata() -> dict[str, Any]:
    """The provider's discovery document (endpoints, supported algorithms)."""
    global _metadata
    now = time.monotonic()
    held = _metadata
    if held is not None and held[0] == settings.OIDC_ISSUER and held[1] > now:
        return held[2]
    url = f"{settings.OIDC_ISSUER}/.well-known/openid-configuration"
    data = _get_json(url, "discovery")
    if data.get("issuer", "").rstrip("/") != settings.OIDC_ISSUER:
        # OpenID Connect Discovery 1.0, section 4.3: the document must name the issuer asked.
        raise ProviderUnavailable("discovery names another issuer")
    with _lock:
        _metadata = (settings.OIDC_ISSUER, now + settings.OIDC_DISCOVERY_CACHE_SECONDS, data)
    return data


def endpoint(name: str) -> str:
    """One endpoint of the discovery document (`token_endpoint`, ...)."""
    url = metadata().get(name)
    if not isinstance(url, str) or not url:
        raise ProviderUnavailable(f"the provider announces no {name}")
    return url


def signing_key(kid: str | None) -> jwt.PyJWK:
    """The provider's public key `kid` (the only key when the token names none)."""
    keys = _signing_keys(refresh=False)
    if kid not in keys and not (kid is None and len(keys) == 1):
        keys = _signing_keys(refresh=True)  # rotated since we last looked
    if kid is None and len(keys) == 1:
        return next(iter(keys.values()))
    if kid not in keys:
        raise jwt.InvalidKeyError(f"no key {kid!r} among the provider's keys")
    return keys[kid]


def _signing_keys(*, refresh: bool) -> dict[str, jwt.PyJWK]:
    global _keys
    now = time.monotonic()
    url = endpoint("jwks_uri")
    held = _keys
    if held is not None and held[0] == url and held[1] > now and not refresh:
        return held[2]
    document = _get_json(url, "signing keys")
    keys: dict[str, jwt.PyJWK] = {}
    for entry in document.get("keys", []):
        if entry.get("use", "sig") != "sig":
            continue
        try:
            keys[entry.get("kid")] = jwt.PyJWK(entry)
        except jwt.PyJWTError:
            continue  # a key type this process cannot use; others may do
    with _lock:
        _keys = (url, now + settings.OIDC_DISCOVERY_CACHE_SECONDS, keys)
    return keys


def forget() -> None:
    """Drop what this process holds (tests; a changed issuer)."""
    global _metadata, _keys
    with _lock:
        _metadata = _keys = None
