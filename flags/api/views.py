"""The flags REST API. Each handler parses, calls one service or selector, and presents.

Every write honours `If-Match: "<version>"` (412 when the flag has moved on: the service checks
the version under a row lock) and records its actor: the user, or the user and token label.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from flags import services
from flags.api.common import (
    MAX_VERSION,
    SOURCE,
    FlagAPIView,
    actor_for,
    checked_name,
    expected_version,
    validated,
)
from flags.api.presenters import etag, flag_representation
from flags.api.read_views import FlagEvaluateMixin, FlagListMixin
from flags.api.serializers import (
    CommentInput,
    FlagCreateInput,
    FlagOutput,
    FlagPatchInput,
    FlagReplaceInput,
    StrictInput,
)
from flags.errors import VersionNotFound
from flags.models import Flag
from flags.selectors import flag_config

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='The version you last read, e.g. "3": the write is refused (412) if it changed.',
)


def _flag_response(flag: Flag, code: int = status.HTTP_200_OK) -> Response:
    body = flag_representation(flag, flag_config(flag))
    return Response(body, status=code, headers={"ETag": etag(flag.version)})


class FlagCollectionView(FlagListMixin, FlagAPIView):
    required_permissions = {"GET": "view", "POST": "add"}

    @extend_schema(summary="Create a flag", request=FlagCreateInput, responses={201: FlagOutput})
    def post(self, request: Request) -> Response:
        data = validated(request, FlagCreateInput)
        flag = services.flag_create(
            name=data["name"],
            actor=actor_for(request),
            source=SOURCE,
            comment=data["comment"],
            **data["config"],
        )
        response = _flag_response(flag, status.HTTP_201_CREATED)
        response["Location"] = reverse(
            "flags_api_flag", kwargs={"name": flag.name}, request=request
        )
        return response


class FlagDetailView(FlagEvaluateMixin, FlagAPIView):
    required_permissions = {"GET": None, "PUT": "change", "PATCH": "change", "DELETE": "delete"}

    def _update(self, request: Request, name: str, serializer: type[StrictInput]) -> Response:
        data = validated(request, serializer)
        flag = services.flag_update(
            name=checked_name(name),
            actor=actor_for(request),
            source=SOURCE,
            expected_version=expected_version(request),
            comment=data["comment"],
            **data["config"],
        )
        return _flag_response(flag)

    @extend_schema(
        summary="Replace the configuration (every field required)",
        request=FlagReplaceInput,
        responses=FlagOutput,
        parameters=[IF_MATCH],
    )
    def put(self, request: Request, name: str) -> Response:
        return self._update(request, name, FlagReplaceInput)

    @extend_schema(
        summary="Change part of the configuration",
        request=FlagPatchInput,
        responses=FlagOutput,
        parameters=[IF_MATCH],
    )
    def patch(self, request: Request, name: str) -> Response:
        return self._update(request, name, FlagPatchInput)

    @extend_schema(
        summary="Delete a flag (its history stays)",
        request=CommentInput,
        responses={204: None},
        parameters=[IF_MATCH],
    )
    def delete(self, request: Request, name: str) -> Response:
        data = validated(request, CommentInput)
        services.flag_delete(
            name=checked_name(name),
            actor=actor_for(request),
            source=SOURCE,
            expected_version=expected_version(request),
            comment=data["comment"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class _KillSwitchView(FlagAPIView):
    required_permissions = {"POST": "change"}
    service = staticmethod(services.flag_enable)

    @extend_schema(request=CommentInput, responses=FlagOutput, parameters=[IF_MATCH])
    def post(self, request: Request, name: str) -> Response:
        data = validated(request, CommentInput)
        flag = self.service(
            name=checked_name(name),
            actor=actor_for(request),
            source=SOURCE,
            expected_version=expected_version(request),
            comment=data["comment"],
        )
        return _flag_response(flag)


@extend_schema(summary="Turn the kill switch on (nothing else changes)")
class FlagEnableView(_KillSwitchView):
    service = staticmethod(services.flag_enable)


@extend_schema(summary="Turn the kill switch off: nobody gets the flag")
class FlagDisableView(_KillSwitchView):
    service = staticmethod(services.flag_disable)


def _path_int(value: str, field: str, message: str) -> int:
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        raise exceptions.ValidationError({field: [message]})
    return int(value)


class FlagRolloutView(FlagAPIView):
    required_permissions = {"POST": "change"}

    @extend_schema(
        summary="Set the rollout percentage",
        request=CommentInput,
        responses=FlagOutput,
        parameters=[IF_MATCH],
    )
    def post(self, request: Request, name: str, percent: str) -> Response:
        percentage = _path_int(percent, "rollout_percentage", "Must be an integer from 0 to 100.")
        data = validated(request, CommentInput)
        flag = services.flag_set_rollout(
            name=checked_name(name),
            percentage=percentage,
            actor=actor_for(request),
            source=SOURCE,
            expected_version=expected_version(request),
            comment=data["comment"],
        )
        return _flag_response(flag)


class FlagRollbackView(FlagAPIView):
    required_permissions = {"POST": "change"}

    @extend_schema(
        summary="Restore a version's configuration as a new version",
        request=CommentInput,
        responses=FlagOutput,
        parameters=[IF_MATCH],
    )
    def post(self, request: Request, name: str, version: str) -> Response:
        number = _path_int(version, "version", "Must be a positive integer.")
        if number > MAX_VERSION:
            raise VersionNotFound(name, number)
        data = validated(request, CommentInput)
        flag = services.flag_rollback(
            name=checked_name(name),
            version=number,
            actor=actor_for(request),
            source=SOURCE,
            expected_version=expected_version(request),
            comment=data["comment"],
        )
        return _flag_response(flag)
