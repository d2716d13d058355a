"""URL configuration: each app owns its routes."""

from django.contrib import admin
from django.urls import include, path

from llmhub.favicon import favicon
from llmhub.health import healthz, readyz

urlpatterns = [
    # Public on purpose: load balancers and orchestrators call these without credentials.
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("favicon.ico", favicon, name="favicon"),
    # The API first: it is the hot path, and every include tried before a match costs time.
    path("", include("flags.urls")),
    path("", include("telemetry.urls")),
    # The hub's pages live under /admin/llm-management/, so its routes come before admin's.
    path("", include("llmhub.hub.urls")),
    # Company sign-in (answers 404 unless OIDC_ISSUER is set); its logout stands before admin's.
    path("", include("llmhub.sso.urls")),
    path("admin/", admin.site.urls),
]

# JSON errors for API paths (/api/, /ofrep/); the usual pages elsewhere.
handler400 = "flags.api.errors.json_bad_request"
handler404 = "flags.api.errors.json_not_found"
handler500 = "flags.api.errors.json_server_error"
