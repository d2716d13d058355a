"""Sign-in start, the provider's callback, logout, and the page that says why a sign-in failed.

Every way a sign-in can fail (the provider down, a wrong client secret, a stale or tampered
answer, an expired or forged token, a deactivated or unknown user) ends on one page that says
what happened and what to do, with a 4xx status (503 while the provider is unreachable).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, auth
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.views.decorators.http import require_POST
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from llmhub.sso import discovery
from llmhub.sso.errors import SignInRefused

logger = logging.getLogger(__name__)


def refused(request: HttpRequest, error: SignInRefused) -> HttpResponse:
    logger.warning("sso: sign-in refused (%s)", error.reason)  # the reason only, no token
    response = render(
        request,
        "sso/refused.html",
        {"message": error.message, "reason": error.reason},
        status=error.status,
    )
    if error.status == 503:
        response["Retry-After"] = "60"
    return response


def _require_sso() -> None:
    if not settings.SSO_ENABLED:
        raise Http404("Company sign-in is not configured (OIDC_ISSUER).")


class SignInStart(OIDCAuthenticationRequestView):
    """Redirects to the provider's login page (PKCE challenge, state and nonce in the session)."""

    def __init__(self, **kwargs: Any) -> None:
        View.__init__(self, **kwargs)  # the library's reads endpoints from settings
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID

    def get(self, request: HttpRequest) -> HttpResponse:
        _require_sso()
        try:
            self.OIDC_OP_AUTH_ENDPOINT = discovery.endpoint("authorization_endpoint")
        except SignInRefused as error:
            return refused(request, error)
        return super().get(request)


class SignInCallback(OIDCAuthenticationCallbackView):
    """The provider's answer: state, code and tokens checked, then the user signed in."""

    def get(self, request: HttpRequest) -> HttpResponse:
        _require_sso()
        try:
            return super().get(request)
        except SignInRefused as error:
            return refused(request, error)
        except SuspiciousOperation:  # a state this session never issued
            return refused(request, _stale())

    @property
    def success_url(self) -> str:
        next_url = self.request.session.get("oidc_login_next")
        return next_url or resolve_url(settings.OIDC_LOGIN_REDIRECT_URL)

    def login_failure(self) -> HttpResponse:
        error = self.request.GET.get("error")
        if error:
            description = self.request.GET.get("error_description") or error
            return refused(
                self.request,
                SignInRefused(f"The sign-in service said: {description[:200]}", reason=error[:50]),
            )
        return refused(self.request, _stale())


def _stale() -> SignInRefused:
    return SignInRefused(
        "This sign-in answer does not belong to a sign-in started in this browser (it expired, "
        "was used already, or was altered). Start again.",
        status=400,
        reason="state",
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """Admin's logout, and for a company sign-in the provider's too (end_session_endpoint)."""
    id_token = request.session.get("oidc_id_token")
    if id_token is None:
        return admin.site.logout(request)  # signed in with a password
    auth.logout(request)  # the local session ends whatever the provider says
    after = request.build_absolute_uri(resolve_url(settings.OIDC_POST_LOGOUT_REDIRECT))
    try:
        end_session = discovery.endpoint("end_session_endpoint")
    except SignInRefused:
        return HttpResponseRedirect(after)
    params = {
        "id_token_hint": id_token,
        "post_logout_redirect_uri": after,
        "client_id": settings.OIDC_RP_CLIENT_ID,
    }
    return HttpResponseRedirect(f"{end_session}?{urlencode(params)}")
