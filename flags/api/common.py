"""What every flags API view shares: the base view, path checks, If-Match, the actor."""

from __future__ import annotations

import re
from typing import Any

from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from flags.api.errors import flag_api_error
from flags.api.permissions import FlagPermission
from flags.errors import FlagError, FlagNotFound
from flags.models import NAME_PATTERN, FlagChange
from llmhub.actors import Actor
from llmhub.api.exceptions import PreconditionFailed
from llmhub.api.permissions import token_of
from llmhub.api.views import JsonApiView

SOURCE = FlagChange.Source.API
_NAME_RE = re.compile(NAME_PATTERN)
_ETAG_RE = re.compile(r'"(\d{1,10})"')
MAX_VERSION = 2**31 - 1


class FlagAPIView(JsonApiView):
    """Default deny plus the flag permissions; `required_permissions` maps method -> need."""

    permission_classes = [IsAuthenticated, FlagPermission]
    required_permissions: dict[str, str | None] = {}

    @property
    def required_permission(self) -> str | None:
        method = self.request.method or "GET"
        return self.required_permissions.get("GET" if method == "HEAD" else method, "view")

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, FlagError):  # a refused write, a missing flag: its own status
            exc = flag_api_error(exc)
        return super().handle_exception(exc)


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
