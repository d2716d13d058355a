"""Routes of the flags app: the REST API and OFREP."""

from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("flags.api.urls")),
    path("", include("flags.ofrep.urls")),
]
