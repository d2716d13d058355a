"""What a caller may do, whichever way it authenticated: a session user or an API token.

A token acts as its user, with the permissions the user held when the token was loaded (a set
lookup: `user.has_perm` walks the authentication backends every time). Apps build their
permission classes on these (flags.api.permissions, the hub's access check).
"""

from __future__ import annotations

from rest_framework.request import Request

from llmhub.api.tokens.services import TokenIdentity


def token_of(request: Request) -> TokenIdentity | None:
    """The token the request authenticated with (None: a session, or nobody)."""
    auth = request.auth
    return auth if isinstance(auth, TokenIdentity) else None


def has_perm(request: Request, perm: str) -> bool:
    """Does the caller hold the Django permission `perm` ("app_label.codename")?"""
    token = token_of(request)
    if token is not None:
        return token.has_perm(perm)
    user = request.user
    return user is not None and bool(user.has_perm(perm))
