"""POST /api/v1/telemetry/events: a browser's batch of events."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from llmhub.api.errors import error_body, field_errors
from telemetry import metrics
from telemetry.context import current_request_id
from telemetry.serializers import BatchSerializer, IngestResultSerializer
from telemetry.services import events_ingest


def error_response(
    status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> Response:
    """The API's error shape (llmhub.api.errors), fields named by their paths (`events[3].type`)."""
    return Response(error_body(code, message, fields), status=status)


def _declared_length(request: Request) -> int:
    """The body's declared size; a malformed header counts as none (Django reads none)."""
    raw = str(request.META.get("CONTENT_LENGTH") or "0")
    return int(raw) if raw.isdigit() else 0


def _too_large(request: Request) -> Response | None:
    """413 for a body over TELEMETRY_MAX_BATCH_BYTES or a batch over TELEMETRY_MAX_BATCH_EVENTS.

    Both are checked before any event is validated: a client that sends too much learns that
    first, not 500 field errors (and the byte limit is checked before the body is parsed).
    """
    limit = settings.TELEMETRY_MAX_BATCH_BYTES
    if _declared_length(request) > limit:
        return error_response(413, "too_large", f"A batch may take at most {limit} bytes.")
    events = request.data.get("events") if isinstance(request.data, dict) else None
    most = settings.TELEMETRY_MAX_BATCH_EVENTS
    if isinstance(events, list) and len(events) > most:
        message = f"A batch may hold at most {most} events; this one has {len(events)}."
        return error_response(413, "too_large", message, {"events": [message]})
    return None


class EventBatchView(APIView):
    """Authentication comes from the project's DRF defaults; any signed-in user may report."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=BatchSerializer,
        responses={
            202: IngestResultSerializer,
            400: OpenApiResponse(description="Invalid batch; nothing stored."),
            413: OpenApiResponse(
                description="Batch over TELEMETRY_MAX_BATCH_BYTES or over 500 events."
            ),
        },
        summary="Report a batch of browser events (at most 500)",
    )
    def post(self, request: Request) -> Response:
        too_large = _too_large(request)
        if too_large is not None:
            return too_large
        serializer = BatchSerializer(data=request.data)
        if not serializer.is_valid():
            fields = field_errors(serializer.errors)
            return error_response(
                400, "invalid", "The batch is invalid; nothing was stored.", fields
            )
        session = getattr(request._request, "session", None)
        result = events_ingest(
            events=serializer.validated_data["events"],
            user_id=request.user.get_username(),
            session_id=(getattr(session, "session_key", None) or "") if session else "",
            request_id=current_request_id(),
        )
        metrics.count_ingested(stored=result.stored, duplicates=result.duplicates)
        return Response({"stored": result.stored, "duplicates": result.duplicates}, status=202)
