"""OFREP request and response shapes, for the OpenAPI schema (the views build plain dicts)."""

from __future__ import annotations

from rest_framework import serializers

REASONS = ["STATIC", "TARGETING_MATCH", "SPLIT", "DISABLED", "UNKNOWN"]


class ContextInput(serializers.Serializer):
    targetingKey = serializers.CharField(max_length=200, help_text="The subject (user id).")  # noqa: N815


class EvaluationRequestInput(serializers.Serializer):
    # A declared field, not Serializer.context (the metaclass moves it into `fields`).
    context = ContextInput(help_text="targetingKey plus any attributes.")  # type: ignore[assignment]


class EvaluationSuccessOutput(serializers.Serializer):
    key = serializers.CharField()
    value = serializers.BooleanField()
    reason = serializers.ChoiceField(choices=REASONS)
    variant = serializers.ChoiceField(choices=["on", "off"])
    metadata = serializers.DictField(required=False)


class EvaluationFailureOutput(serializers.Serializer):
    key = serializers.CharField()
    errorCode = serializers.CharField()  # noqa: N815
    errorDetails = serializers.CharField(required=False)  # noqa: N815


class BulkSuccessOutput(serializers.Serializer):
    flags = EvaluationSuccessOutput(many=True)


class BulkFailureOutput(serializers.Serializer):
    errorCode = serializers.CharField()  # noqa: N815
    errorDetails = serializers.CharField(required=False)  # noqa: N815
