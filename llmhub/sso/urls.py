"""Routes of the company sign-in: 404 unless OIDC_ISSUER is set (llmhub/sso/views.py)."""

from django.urls import URLPattern, path

from llmhub.sso.views import SignInCallback, SignInStart, sign_out

urlpatterns: list[URLPattern] = [
    # mozilla-django-oidc builds the redirect URI from the name `oidc_authentication_callback`.
    path("oidc/authenticate/", SignInStart.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", SignInCallback.as_view(), name="oidc_authentication_callback"),
    # Before admin's own: the provider's session ends with the local one.
    path("admin/logout/", sign_out, name="sso_logout"),
]
