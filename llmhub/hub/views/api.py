"""`GET /api/v1/hub/access?tier=...&model=...`: may this tier use this model?

Authentication and the error shape are the project's DRF defaults (llmhub/settings/api.py,
pointing at llmhub/api/); the caller also needs the permission to view tier rules
(`hub.view_tierrule`, a token through its user), else 403. This view only parses, asks
`check_access` and serializes.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from llmhub.api.permissions import has_perm
from llmhub.hub import tracking
from llmhub.hub.access import AccessDecision
from llmhub.hub.errors import TierNotFound
from llmhub.hub.permissions import ACCESS_API_PERMISSION
from llmhub.hub.selectors import check_access, tier_list


class AccessQuerySerializer(serializers.Serializer):
    tier = serializers.CharField(max_length=50)
    model = serializers.CharField(max_length=200)


class AccessRuleSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="rule_id")
    pattern = serializers.CharField()
    priority = serializers.IntegerField()
    decision = serializers.CharField()
    max_requests_per_day = serializers.IntegerField(allow_null=True)
    max_context_length = serializers.IntegerField(allow_null=True)


class AccessDecisionSerializer(serializers.Serializer):
    tier = serializers.CharField()
    model = serializers.CharField()
    allowed = serializers.BooleanField()
    rule = AccessRuleSerializer(allow_null=True)
    max_requests_per_day = serializers.IntegerField(
        allow_null=True, help_text="Null: unlimited. 0 when denied."
    )
    max_context_length = serializers.IntegerField(
        allow_null=True, help_text="Tokens. Null: the model's own window. 0 when denied."
    )


class CanViewTierRules(BasePermission):
    """A session user or an API token's user holding `hub.view_tierrule` (as in admin)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not has_perm(request, ACCESS_API_PERMISSION):
            raise PermissionDenied(f"Your account lacks the permission {ACCESS_API_PERMISSION}.")
        return True


class AccessCheckView(APIView):
    """Any authenticated caller (session or API token) allowed to view tier rules."""

    permission_classes = [IsAuthenticated, CanViewTierRules]

    @extend_schema(
        operation_id="hub_access_check",
        summary="May this tier use this model?",
        parameters=[AccessQuerySerializer],
        responses={200: AccessDecisionSerializer},
        tags=["hub"],
    )
    def get(self, request: Request) -> Response:
        query = AccessQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        decision = self._decide(query.validated_data)
        tracking.access_check(request.user, decision, source="api")
        return Response(AccessDecisionSerializer(decision).data)

    @staticmethod
    def _decide(params: dict[str, Any]) -> AccessDecision:
        try:
            return check_access(params["tier"], params["model"].strip())
        except TierNotFound as error:
            known = ", ".join(tier_list().values_list("slug", flat=True))
            raise ValidationError(
                {"tier": [f"{error.message} Known tiers: {known}."]}, code=error.code
            ) from None
