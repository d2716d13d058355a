"""Verifying the provider's JWTs (ID tokens at sign-in, access tokens on the API).

Signature against the provider's published keys, with the one algorithm configured (a token
cannot pick its own, "none" included), and the issuer, audience, expiry and, at sign-in, the
nonce checked. A refusal says which check failed; the token itself is never logged or shown.
"""

from __future__ import annotations

from typing import Any

import jwt
from django.conf import settings

from llmhub.sso import discovery
from llmhub.sso.errors import SignInRefused


def verified_claims(token: str, *, audience: str, nonce: str | None = None) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise SignInRefused(
            "The token is not a well-formed JWT.", reason="token_malformed"
        ) from None
    algorithm = settings.OIDC_RP_SIGN_ALGO
    if header.get("alg") != algorithm:
        raise SignInRefused(
            f"The token is signed with {header.get('alg')!r}; this site accepts {algorithm}.",
            reason="token_algorithm",
        )
    claims = _decoded(token, _key(header.get("kid")), algorithm, audience)
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") not in (None, audience):
        raise SignInRefused("The token was issued to another client.", reason="token_audience")
    if nonce is not None and claims.get("nonce") != nonce:
        raise SignInRefused(
            "The sign-in answer does not match the sign-in this browser started (nonce).",
            reason="token_nonce",
        )
    return claims


def _key(kid: str | None) -> jwt.PyJWK:
    try:
        return discovery.signing_key(kid)
    except jwt.PyJWTError:
        raise SignInRefused(
            "The token is signed with a key the provider does not publish.",
            reason="token_signature",
        ) from None


def _decoded(token: str, key: jwt.PyJWK, algorithm: str, audience: str) -> dict[str, Any]:
    try:
        return dict(
            jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=audience,
                issuer=settings.OIDC_ISSUER,
                leeway=settings.OIDC_CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        )
    except jwt.ExpiredSignatureError:
        raise SignInRefused(
            "The token has expired (if this keeps happening, the provider's clock and this "
            "server's disagree).",
            reason="token_expired",
        ) from None
    except jwt.InvalidSignatureError:
        raise SignInRefused(
            "The token's signature does not verify: it was altered or not made by the provider.",
            reason="token_signature",
        ) from None
    except jwt.PyJWTError as exc:
        raise SignInRefused(f"The token was refused: {exc}.", reason="token_invalid") from None
