"""Routes of the API schema and its docs (and, for bench/api_bench.py only, a bare view)."""

import os

from django.conf import settings
from django.urls import URLPattern, URLResolver, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from llmhub.api import bench_views, schema

assert schema  # imported for its OpenAPI extension (documents the token authentication)

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
]

_production = os.environ.get("DJANGO_SETTINGS_MODULE", "").endswith(".production")
if settings.LLMHUB_BENCH_VIEWS and not _production:
    urlpatterns.append(path("api/bench/bare", bench_views.bare, name="bench_bare"))
