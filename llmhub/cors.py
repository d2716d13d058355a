"""CORS for browser front ends on other origins (django-cors-headers), only when configured.

django-cors-headers adds `Vary: Origin` to every response on its paths even with no origin
allowed. With `CORS_ALLOWED_ORIGINS` empty (the default) nothing may cross origins, so the
middleware steps out of the chain entirely: responses stay as they were and the hot path pays
nothing for it.
"""

from __future__ import annotations

from typing import Any

from corsheaders.middleware import CorsMiddleware
from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed


class ConfiguredCorsMiddleware(CorsMiddleware):
    def __init__(self, get_response: Any) -> None:
        if not settings.CORS_ALLOWED_ORIGINS:
            raise MiddlewareNotUsed("CORS_ALLOWED_ORIGINS is empty: no cross-origin access")
        super().__init__(get_response)
