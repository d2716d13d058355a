"""Routes of the flags app: the REST API, OFREP and the API docs."""

import os

from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("flags.api.urls")),
    path("", include("flags.ofrep.urls")),
]

_production = os.environ.get("DJANGO_SETTINGS_MODULE", "").endswith(".production")
if settings.LLMHUB_BENCH_VIEWS and not _production:
    from flags.api.bench_views import bare

    urlpatterns.append(path("api/bench/bare", bare, name="bench_bare"))
