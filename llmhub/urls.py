"""URL configuration: each app owns its routes."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("flags.urls")),
    path("", include("telemetry.urls")),
]
