"""CORS for browser front ends on other origins (django-cors-headers), only when configured.

django-cors-headers adds `Vary: Origin` to every response on its paths even with no origin
allowed. With `CORS_ALLOWED_ORIGINS` empty (the default) nothing may cross origins, so this
middleware passes requests straight through: responses stay exactly as they were, for the cost
of one settings lookup.
"""

from __future__ import annotations

from corsheaders.middleware import CorsMiddleware
from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase


class ConfiguredCorsMiddleware(CorsMiddleware):
    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not settings.CORS_ALLOWED_ORIGINS:
            response: HttpResponseBase = self.get_response(request)  # type: ignore[assignment]
            return response
        return super().__call__(request)  # type: ignore[return-value]
