"""Routes of the LLM hub (pages and the access-check API)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
