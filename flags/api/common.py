"""What every flags API view shares: the base view, path checks, If-Match, the actor."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from flags.actors import Actor
from flags.api.exceptions import PreconditionFailed
from flags.api.permissions import FlagPermission, token_of
from flags.errors import FlagNotFound
from flags.models import NAME_PATTERN, FlagChange

SOURCE = FlagChange.Source.API
_NAME_RE = re.compile(NAME_PATTERN)
_ETAG_RE = re.compile(r'"(\d{1,10})"')
MAX_VERSION = 2**31 - 1


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


class FlagAPIView(APIView):
    """Default deny plus the flag permissions; `required_permissions` maps method -> need."""

    permission_classes = [IsAuthenticated, FlagPermission]
    content_negotiation_class = JSONOnly
    required_permissions: dict[str, str | None] = {}
    metadata_class = None  # OPTIONS is not part of this API

    @property
    def default_response_headers(self) -> dict[str, str]:
        return {}  # DRF computes Allow for every response; we add it where it matters (405)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code == 405:
            response["Allow"] = ", ".join(self.allowed_methods)
        return response

    @property
    def required_permission(self) -> str | None:
        method = self.request.method or "GET"
        return self.required_permissions.get("GET" if method == "HEAD" else method, "view")


def checked_name(name: str) -> str:
    """A path segment that cannot be a flag name names no flag (and never reaches the DB)."""
    if not _NAME_RE.match(name):
        raise FlagNotFound(name)
    return name


def expected_version(request: Request) -> int | None:
    """The version named by If-Match (None without the header, or with `*`)."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    match = _ETAG_RE.fullmatch(header.strip())
    if match is None or int(match.group(1)) > MAX_VERSION:
        raise PreconditionFailed()
    return int(match.group(1))


def actor_for(request: Request) -> Actor:
    token = token_of(request)
    if token is not None:
        return Actor.for_token(request.user, token.audit_label)
    return Actor.for_user(request.user)


def validated(request: Request, serializer_class: type[Serializer]) -> dict[str, Any]:
    data = request.data
    serializer = serializer_class(data={} if data is None else data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
