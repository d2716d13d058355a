"""URL configuration: each app owns its routes."""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from llmhub.favicon import favicon
from llmhub.health import healthz, readyz

urlpatterns = [
    # Public on purpose: load balancers and orchestrators call these without credentials.
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("favicon.ico", favicon, name="favicon"),
    # The API first: it is the hot path, and every include tried before a match costs time.
    path("", include("flags.urls")),
    path("", include("llmhub.api.urls")),  # the API schema and docs
    path("", include("rollout.urls")),
    path("", include("telemetry.urls")),
    path("", include("notifications.urls")),
    # The hub's pages live under /admin/llm-management/, so its routes come before admin's.
    path("", include("llmhub.hub.urls")),
    # API tokens moved from the flags app to their own (llmhub.api.tokens): old links still work
    # (for people admin lets in; the others get the login form, as from any admin page).
    re_path(
        r"^admin/flags/apitoken/(?P<rest>.*)$",
        admin.site.admin_view(
            RedirectView.as_view(url="/admin/tokens/apitoken/%(rest)s", query_string=True)
        ),
    ),
    # Company sign-in (answers 404 unless OIDC_ISSUER is set); its logout stands before admin's.
    path("", include("llmhub.sso.urls")),
    path("admin/", admin.site.urls),
]

# JSON errors for API paths (/api/, /ofrep/); the usual pages elsewhere.
handler400 = "llmhub.api.handlers.json_bad_request"
handler404 = "llmhub.api.handlers.json_not_found"
handler500 = "llmhub.api.handlers.json_server_error"
