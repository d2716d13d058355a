"""OpenFeature Remote Evaluation Protocol: POST /ofrep/v1/evaluate/flags[/{key}].

`context.targetingKey` is the subject; the other context keys are attributes. Evaluating for any
subject is reading another user's evaluation, so OFREP needs a privileged client (in practice an
API token, `Authorization: Bearer` or `X-API-Key`, whose user has `flags.view_flag`).
Errors of the request itself use OFREP's shapes; authentication, permission, size and rate
errors use the API's common error shape.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.response import Response

from flags import client
from flags.api.common import FlagAPIView
from flags.api.presenters import json_response
from flags.ofrep.mapping import bulk_etag, etag_matches, ofrep_success
from flags.ofrep.serializers import (
    BulkFailureOutput,
    BulkSuccessOutput,
    EvaluationFailureOutput,
    EvaluationRequestInput,
    EvaluationSuccessOutput,
)
from flags.store import store
from flags.types import Reason
from flags.validation import USER_ID_RULE, is_user_id


class ContextError(Exception):
    def __init__(self, code: str, details: str) -> None:
        super().__init__(details)
        self.code = code
        self.details = details


def _context(request: Request) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(targetingKey, attributes, the whole context) from the body, or ContextError."""
    try:
        body = request.data
    except ParseError as exc:
        raise ContextError("PARSE_ERROR", str(exc.detail)) from None
    context = body.get("context") if isinstance(body, dict) else None
    if not isinstance(context, dict):
        raise ContextError("INVALID_CONTEXT", 'The body must be {"context": {...}}.')
    key = context.get("targetingKey")
    if key is None or key == "":
        raise ContextError("TARGETING_KEY_MISSING", "context.targetingKey is required.")
    if not is_user_id(key):
        raise ContextError("INVALID_CONTEXT", f"context.targetingKey must be {USER_ID_RULE}.")
    groups = context.get("groups")
    if groups is not None and not (
        isinstance(groups, list) and all(isinstance(group, str) for group in groups)
    ):
        raise ContextError("INVALID_CONTEXT", "context.groups must be a list of group names.")
    # An attribute spelled as an argument of `flags.evaluate` is dropped, not passed twice.
    attributes = {
        k: v for k, v in context.items() if k != "targetingKey" and k not in client.ARGUMENT_NAMES
    }
    # OpenFeature's context carries the subject's attributes: `group:` whitelist entries match
    # the groups it names, never ones looked up here (so the bulk ETag, made from the context,
    # holds).
    attributes.setdefault("groups", [])
    return key, attributes, context


class _OfrepView(FlagAPIView):
    required_permissions = {"POST": "view"}
    throttle_kind = "read"  # a POST that changes nothing


class OfrepEvaluateView(_OfrepView):
    @extend_schema(
        operation_id="evaluateFlag",
        summary="OFREP: evaluate one flag",
        request=EvaluationRequestInput,
        responses={
            200: EvaluationSuccessOutput,
            400: EvaluationFailureOutput,
            404: OpenApiResponse(EvaluationFailureOutput, description="FLAG_NOT_FOUND"),
        },
    )
    def post(self, request: Request, key: str) -> HttpResponse:
        try:
            subject, attributes, _ = _context(request)
        except ContextError as exc:
            body = {"key": key, "errorCode": exc.code, "errorDetails": exc.details}
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        snapshots = store.snapshots()
        result = client.evaluate(key, subject, snapshots=snapshots, **attributes)
        if result.reason == Reason.FLAG_NOT_FOUND:
            details = f"Flag {key!r} was not found."
            body = {"key": key, "errorCode": "FLAG_NOT_FOUND", "errorDetails": details}
            return Response(body, status=status.HTTP_404_NOT_FOUND)
        return json_response(ofrep_success(result, snapshots.get(key)))


class OfrepBulkView(_OfrepView):
    @extend_schema(
        operation_id="evaluateFlagsBulk",
        summary="OFREP: evaluate every flag",
        request=EvaluationRequestInput,
        parameters=[OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER)],
        responses={
            200: BulkSuccessOutput,
            304: OpenApiResponse(description="Not modified: the ETag still holds."),
            400: BulkFailureOutput,
        },
    )
    def post(self, request: Request) -> HttpResponse:
        try:
            subject, attributes, context = _context(request)
        except ContextError as exc:
            body = {"errorCode": exc.code, "errorDetails": exc.details}
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        snapshots = store.snapshots()
        tag = bulk_etag(snapshots, context)
        if etag_matches(request.headers.get("If-None-Match"), tag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": tag})
        flags = []
        for name, snapshot in sorted(snapshots.items()):
            result = client.evaluate(name, subject, snapshots=snapshots, **attributes)
            flags.append(ofrep_success(result, snapshot))
        return json_response({"flags": flags}, headers={"ETag": tag})
