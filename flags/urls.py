"""Routes of the flags app (REST API and OFREP)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
