"""The authentication backend of the company sign-in (mozilla-django-oidc's, completed).

mozilla-django-oidc runs the authorization code flow with PKCE, state and nonce. What it
leaves to us: endpoints from discovery (it wants each one in settings), a full ID token check
(it skips the audience and issuer), the identity mapping (llmhub/sso/identity.py), and a
refusal the callback can show instead of an exception Django answers with a 500.
"""

from __future__ import annotations

from typing import Any

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from llmhub.sso import discovery
from llmhub.sso.errors import ProviderUnavailable, SignInRefused
from llmhub.sso.identity import user_sign_in
from llmhub.sso.tokens import verified_claims


def _provider_error(response: requests.Response | None) -> str:
    """The OAuth error code of a refusal (RFC 6749, 5.2), or its HTTP status."""
    if response is None:
        return "no answer"
    try:
        body = response.json()
    except ValueError:
        body = None
    code = body.get("error") if isinstance(body, dict) else None
    return str(code) if code else f"HTTP {response.status_code}"


class CompanyOIDCBackend(OIDCAuthenticationBackend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Django builds every backend for each authenticate() (password logins too): nothing
        # here may ask the provider; the endpoints are looked up when a sign-in needs them.
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.UserModel = get_user_model()

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:  # noqa: N802 - the name the library reads
        return discovery.endpoint("token_endpoint")

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:  # noqa: N802
        return discovery.endpoint("userinfo_endpoint")

    def get_token(self, payload: dict[str, Any]) -> Any:
        """The code exchanged for tokens; the provider's refusal named, never its body logged."""
        try:
            return super().get_token(payload)
        except requests.HTTPError as exc:
            error = _provider_error(exc.response)
            if error == "invalid_client":
                raise SignInRefused(
                    "The sign-in service did not accept this site's client credentials "
                    "(OIDC_CLIENT_ID / OIDC_CLIENT_SECRET). Tell the platform team.",
                    reason="invalid_client",
                ) from None
            raise SignInRefused(
                f"The sign-in service refused the sign-in ({error}). Start again.",
                reason="token_refused",
            ) from None
        except requests.RequestException as exc:
            raise ProviderUnavailable(f"token endpoint: {type(exc).__name__}") from None

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        if not isinstance(token, str):
            raise SignInRefused("The sign-in service sent no ID token.", reason="no_id_token")
        return verified_claims(token, audience=self.OIDC_RP_CLIENT_ID, nonce=kwargs.get("nonce"))

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        """The ID token's claims completed by the userinfo endpoint (which wins: it is fresher).

        OpenID Connect Core 5.3.2: userinfo about another subject is refused."""
        try:
            info = super().get_userinfo(access_token, id_token, payload)
        except requests.HTTPError:
            raise SignInRefused(
                "The sign-in service refused to describe the user.", reason="userinfo"
            ) from None
        except requests.RequestException as exc:
            raise ProviderUnavailable(f"userinfo endpoint: {type(exc).__name__}") from None
        if not isinstance(info, dict) or info.get("sub") != payload.get("sub"):
            raise SignInRefused("The user description names someone else.", reason="userinfo")
        return {**payload, **info}

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        return user_sign_in(self.get_userinfo(access_token, id_token, payload))
