"""The base of views that speak the API's JSON only, with no DRF extras they do not need."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.views import APIView


class JSONOnly(BaseContentNegotiation):
    """The API speaks JSON only: skip DRF's Accept parsing (a measurable share of a request)."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        media_type = (request.content_type or "").split(";")[0].strip().lower()
        return next((p for p in parsers if p.media_type == media_type), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class JsonApiView(APIView):
    """JSON in and out, no OPTIONS, and `Allow` only where it matters (405)."""

    content_negotiation_class = JSONOnly
    metadata_class = None  # OPTIONS is not part of this API

    @property
    def default_response_headers(self) -> dict[str, str]:
        return {}  # DRF computes Allow for every response; we add it where it matters (405)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code == 405:
            response["Allow"] = ", ".join(self.allowed_methods)
        return response
