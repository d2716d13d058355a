"""Creating, listing, revoking and resolving API tokens.

Resolution is on every API request, so it is cached in the process: a warm request makes no
database query. An entry lives `API_TOKEN_CACHE_SECONDS` (at most 60 s): that bounds how long a
revoked token, a deactivated user or a removed permission keeps working in another process. The
process that revokes forgets the token at once.

While the database is unreachable, a token this process already holds (its entry expired or not)
keeps its identity: the entry is extended by `OUTAGE_RECHECK_SECONDS` at a time and checked
again once the database answers. A token the process never held cannot be checked: 503.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from llmhub.actors import Actor
from llmhub.api.outage import DATABASE_UNAVAILABLE
from llmhub.api.tokens.models import ApiToken, token_generate, token_hash
from llmhub.api.tokens.signals import token_changed

MAX_CACHED_TOKENS = 10_000
# During an outage, how often a held token is checked against the database again (at most).
OUTAGE_RECHECK_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class TokenIdentity:
    """What a request authenticated with: DRF's `request.auth` for token requests."""

    token_id: int
    prefix: str
    label: str
    scope: str
    user: Any  # the Django user
    # The user's permissions when the token was loaded ("*" for a superuser): checking them is
    # a set lookup, where `user.has_perm` walks the authentication backends every time.
    permissions: frozenset[str]

    @property
    def can_write(self) -> bool:
        return self.scope == ApiToken.Scope.WRITE

    def has_perm(self, perm: str) -> bool:
        return perm in self.permissions or "*" in self.permissions

    @property
    def audit_label(self) -> str:
        return f"{self.label} {self.prefix}"


def token_create(*, username: str, scope: str, label: str, actor: Actor) -> tuple[ApiToken, str]:
    """Create a token for `username`; returns it and the secret, which is never stored."""
    if scope not in ApiToken.Scope.values:
        raise ValueError(f"scope must be one of {', '.join(ApiToken.Scope.values)}")
    user = get_user_model().objects.get_by_natural_key(username)
    raw, prefix = token_generate()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, label=label[:100], prefix=prefix, key_hash=token_hash(raw), scope=scope
        )
        _announce(token, "token_created", actor)
    return token, raw


def token_list() -> QuerySet[ApiToken]:
    return ApiToken.objects.select_related("user").order_by("-created_at", "-id")


def token_revoke(*, token: ApiToken, actor: Actor) -> bool:
    """Revoke `token` (idempotent: revoking a revoked token records nothing). True if it was
    active."""
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if updated:
            _announce(token, "token_revoked", actor)
    token_cache.forget(token.key_hash)
    return updated == 1


def _announce(token: ApiToken, action: str, actor: Actor) -> None:
    """Audit on commit (telemetry records a `security` event), as flag changes are."""
    transaction.on_commit(
        lambda: token_changed.send(sender=ApiToken, token=token, action=action, actor=actor)
    )


def _load(key_hash: str) -> TokenIdentity | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=key_hash, revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    user = token.user
    permissions = frozenset({"*"} if user.is_superuser else user.get_all_permissions())
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return TokenIdentity(token.pk, token.prefix, token.label, token.scope, user, permissions)


class TokenCache:
    """key hash -> (expires at, identity). Only valid tokens are cached."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, TokenIdentity]] = {}
        self._lock = threading.Lock()

    def fresh(self, key_hash: str) -> TokenIdentity | None:
        entry = self._entries.get(key_hash)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        return None

    def known(self, key_hash: str) -> bool:
        """Was this token valid here before? (Re-checking it is not a guess at a credential.)"""
        return key_hash in self._entries

    def load(self, key_hash: str) -> TokenIdentity | None:
        try:
            identity = _load(key_hash)
        except DATABASE_UNAVAILABLE:
            held = self._hold(key_hash)
            if held is None:
                raise  # never seen valid here: nothing to vouch for it (503 upstream)
            return held
        with self._lock:
            if identity is None:
                self._entries.pop(key_hash, None)
                return None
            if len(self._entries) >= MAX_CACHED_TOKENS:
                self._entries.clear()
            ttl = min(float(settings.API_TOKEN_CACHE_SECONDS), 60.0)
            self._entries[key_hash] = (time.monotonic() + ttl, identity)
        return identity

    def _hold(self, key_hash: str) -> TokenIdentity | None:
        """The identity this process last loaded for the token, kept a little longer."""
        with self._lock:
            entry = self._entries.get(key_hash)
            if entry is None:
                return None
            ttl = min(float(settings.API_TOKEN_CACHE_SECONDS), OUTAGE_RECHECK_SECONDS)
            self._entries[key_hash] = (time.monotonic() + ttl, entry[1])
        return entry[1]

    def forget(self, key_hash: str) -> None:
        with self._lock:
            self._entries.pop(key_hash, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


token_cache = TokenCache()
