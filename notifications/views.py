"""`POST /api/v1/triggers/<secret>`: disable the trigger's flag (Alertmanager, a pager).

The secret is the credential: no session, no token, no CSRF (callers are machines). A wrong
or revoked secret gets exactly the 404 of an address no route matches, so the answer says
nothing about which secrets exist. The secret is cut from the path before telemetry records
the request, so it never reaches an event or a log line written by this app.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications.services import trigger_fire

REDACTED_PATH = "/api/v1/triggers/<secret>"


class TriggerResultSerializer(serializers.Serializer):
    flag = serializers.CharField()
    enabled = serializers.BooleanField(help_text="Always false: the flag is off.")
    version = serializers.IntegerField()
    changed = serializers.BooleanField(help_text="False when it was already disabled.")


class TriggerView(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="trigger_fire",
        summary="Disable the flag of this trigger URL (idempotent)",
        request=None,
        responses={
            200: TriggerResultSerializer,
            404: OpenApiResponse(description="No active trigger has this secret."),
        },
        tags=["triggers"],
    )
    def post(self, request: Request, secret: str) -> Response:
        request._request.path = REDACTED_PATH  # what telemetry records (see the module doc)
        fired = trigger_fire(raw=secret)
        if fired is None:  # unknown and revoked alike
            raise NotFound("No active trigger at this address.")
        return Response(
            {
                "flag": fired.flag,
                "enabled": False,
                "version": fired.version,
                "changed": fired.changed,
            }
        )
