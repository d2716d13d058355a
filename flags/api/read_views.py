"""Reading flags: list, evaluate (the hot path), flags enabled for a user, history."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from flags import client
from flags.api.common import FlagAPIView, checked_name
from flags.api.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_BYTES,
    MAX_PAGE_SIZE,
    QuerysetRows,
    SortedRows,
    cursor_page,
    number_page,
)
from flags.api.permissions import is_privileged, require_privileged
from flags.api.presenters import (
    change_representation,
    etag,
    evaluation_representation,
    flag_representation,
    json_response,
)
from flags.api.serializers import (
    TAG_PATTERN,
    ChangePageOutput,
    EnabledForUserOutput,
    EvaluationOutput,
    FlagPageOutput,
)
from flags.errors import FlagNotFound
from flags.models import Flag
from flags.selectors import flag_config, flag_document_at, flag_history, flag_list
from flags.store import store
from flags.types import FlagSnapshot, Reason
from flags.validation import USER_ID_RULE, is_user_id
from llmhub.api.outage import DATABASE_UNAVAILABLE

_TAG_RE = re.compile(TAG_PATTERN)


def _checked_user_id(value: str) -> str:
    if not is_user_id(value):
        raise exceptions.ValidationError({"user_id": [f"The user id must be {USER_ID_RULE}."]})
    return value


def _subject_for(request: Request, user_id: str | None) -> str | None:
    """The caller's own subject, or `user_id` when the caller may read other users."""
    own = client.subject_from_request(request)
    if user_id is None or user_id == own:
        return own
    require_privileged(request, "Evaluating a flag for another user")
    return _checked_user_id(user_id)


class FlagEvaluateMixin:
    """GET /api/v1/features/{name}: the hot path. No query once warm (see `_document`)."""

    @extend_schema(
        summary="Evaluate a flag for the caller (or ?user_id= for privileged clients)",
        parameters=[OpenApiParameter("user_id", OpenApiTypes.STR, required=False)],
        responses={200: EvaluationOutput},
    )
    def get(self, request: Request, name: str) -> HttpResponse:
        subject = _subject_for(request, request.query_params.get("user_id"))
        snapshots = store.snapshots()  # one set: the answer and its configuration agree
        result = client.evaluate(name, subject, snapshots=snapshots)
        if result.reason == Reason.FLAG_NOT_FOUND:
            raise FlagNotFound(name)
        snapshot = snapshots.get(name)
        if snapshot is None or not is_privileged(request):
            return json_response(evaluation_representation(result))
        config = _document(snapshot, snapshots)
        headers = {"ETag": etag(config["version"])} if config else None
        return json_response(evaluation_representation(result, config), headers=headers)


def _document(
    snapshot: FlagSnapshot, snapshots: Mapping[str, FlagSnapshot]
) -> dict[str, Any] | None:
    """The flag's configuration at the snapshot's version, as the list presents it.

    The store loads every flag's document with the snapshots, so this costs no query and
    works while the database is away; only when the store has loaded a newer set since
    `snapshots` was read does it read the row (if still that version).
    """
    document = store.document(snapshot, snapshots)
    if document is None:
        document = flag_document_at(name=snapshot.name, version=snapshot.version)
    return document


def _tags(raw: str | None) -> list[str]:
    tags = [tag.strip() for tag in (raw or "").split(",") if tag.strip()]
    if any(not _TAG_RE.match(tag) for tag in tags) or len(tags) > 50:
        raise exceptions.ValidationError({"tags": ["Comma-separated tag names, e.g. ?tags=a,b."]})
    return tags


PAGE_SIZE = OpenApiParameter(
    "page_size",
    {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
    required=False,
    description=f"Rows per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).",
)


class FlagListMixin:
    @extend_schema(
        operation_id="api_v1_features_list",  # a page is one object: not "retrieve"
        summary="List flags with their configuration, by name, a page at a time",
        description=(
            f"Pages of at most `page_size` flags (default {DEFAULT_PAGE_SIZE}, at most "
            f"{MAX_PAGE_SIZE}; a page also stops at about {MAX_PAGE_BYTES:,} bytes). Follow "
            "`next` until it is null to read every flag: a flag created or deleted meanwhile "
            "moves no other flag between pages."
        ),
        parameters=[
            OpenApiParameter("tags", OpenApiTypes.STR, required=False),
            OpenApiParameter(
                "cursor",
                OpenApiTypes.STR,
                required=False,
                description="Opaque: copied from a `next` or `previous` link.",
            ),
            PAGE_SIZE,
        ],
        responses={200: FlagPageOutput},
    )
    def get(self, request: Request) -> Response:
        tags = _tags(request.query_params.get("tags"))
        try:
            rows = QuerysetRows(flag_list(tags=tags))
            return Response(cursor_page(request, rows, _flag_row))
        except DATABASE_UNAVAILABLE:
            # The last configuration this process loaded, as the database would list it.
            return Response(cursor_page(request, _rows_from_store(tags), dict))


def _flag_row(flag: Flag) -> dict[str, Any]:
    return flag_representation(flag, flag_config(flag))  # tags prefetched by flag_list


def _rows_from_store(tags: list[str]) -> SortedRows:
    snapshots = store.snapshots()
    documents = store.documents(snapshots)
    wanted = set(tags)
    names = [
        name
        for name, snapshot in sorted(snapshots.items())
        if name in documents and (not wanted or wanted.intersection(snapshot.tags))
    ]
    return SortedRows(names, documents.__getitem__)


class EnabledForUserView(FlagAPIView):
    required_permissions = {"GET": None}

    @extend_schema(summary="Names of the flags enabled for a user", responses=EnabledForUserOutput)
    def get(self, request: Request, user_id: str) -> Response:
        subject = _subject_for(request, _checked_user_id(user_id))
        snapshots = store.snapshots()
        enabled = [
            name
            for name in sorted(snapshots)
            if client.evaluate(name, subject, snapshots=snapshots).enabled
        ]
        return Response({"user_id": user_id, "enabled": enabled})


class FlagHistoryView(FlagAPIView):
    required_permissions = {"GET": "view"}

    @extend_schema(
        summary="The flag's audit trail, newest first, a page at a time",
        parameters=[OpenApiParameter("page", {"type": "integer", "minimum": 1}), PAGE_SIZE],
        responses=ChangePageOutput,
    )
    def get(self, request: Request, name: str) -> Response:
        changes = flag_history(name=checked_name(name))
        if not changes.exists():
            raise FlagNotFound(name)
        return Response(number_page(request, changes, change_representation))
