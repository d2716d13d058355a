"""The plan API under /api/v1/features/{name}/plan: read, create from the template, and
pause / resume / advance / abort. Each handler parses, calls one service, and presents.

Permissions are the flag's: reading a plan needs a privileged client (as reading a flag's
configuration does), every write `flags.change_flag` (a plan changes the flag). Writes honour
`If-Match: "<plan version>"` (412 when the plan moved on). Errors take the API's one shape.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from flags.api.common import FlagAPIView, actor_for, checked_name, expected_version, validated
from flags.api.serializers import CommentInput
from rollout import services
from rollout.errors import PlanInvalid, PlanNotFound, RolloutError
from rollout.models import RolloutPlan
from rollout.presenters import plan_representation
from rollout.selectors import plan_for_flag

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='The plan version you last read, e.g. "3": refused (412) if it changed.',
)


class RolloutAPIError(exceptions.APIException):
    def __init__(self, error: RolloutError) -> None:
        self.status_code = error.status
        super().__init__(error.message, error.code)


class StrictSerializer(serializers.Serializer):
    """A JSON object of the declared fields only; numbers must be JSON numbers, not strings."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        errors = {key: ["Unknown or read-only field."] for key in data if key not in self.fields}
        for name, field in self.fields.items():
            value = data.get(name)
            numeric = isinstance(field, serializers.IntegerField | serializers.FloatField)
            if numeric and value is not None and (isinstance(value, bool | str)):
                errors[name] = ["Must be a JSON number."]
        if errors:
            raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class StepInput(StrictSerializer):
    name = serializers.CharField(max_length=100)
    percentage = serializers.IntegerField(min_value=0, max_value=100)
    segments = serializers.ListField(
        child=serializers.CharField(max_length=100), max_length=50, required=False, default=list
    )
    min_dwell_seconds = serializers.IntegerField(min_value=0, max_value=365 * 86400)
    max_dwell_seconds = serializers.IntegerField(
        min_value=0, max_value=365 * 86400, required=False, allow_null=True, default=None
    )


class PlanCreateInput(StrictSerializer):
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    template = serializers.ChoiceField(
        ["seed"], required=False, default="seed", help_text="The seed's five phases."
    )
    steps = serializers.ListField(
        child=StepInput(),
        min_length=2,
        max_length=50,
        required=False,
        help_text="Your own steps instead of the template's.",
    )
    error_ceiling = serializers.FloatField(min_value=0, max_value=1, required=False)
    confidence = serializers.FloatField(min_value=0.5, max_value=0.9999, required=False)
    latency_tolerance = serializers.FloatField(min_value=0, max_value=10, required=False)
    latency_critical = serializers.FloatField(min_value=0, max_value=10, required=False)
    satisfaction_min = serializers.FloatField(min_value=0, max_value=1, required=False)
    min_requests = serializers.IntegerField(min_value=1, max_value=10**9, required=False)
    min_answers = serializers.IntegerField(min_value=0, max_value=10**9, required=False)
    window_minutes = serializers.IntegerField(min_value=1, max_value=1440, required=False)
    new_cohort = serializers.RegexField(r"^[A-Za-z0-9_.:/-]{1,50}$", required=False)
    old_cohort = serializers.RegexField(r"^[A-Za-z0-9_.:/-]{1,50}$", required=False)


class PlanOutput(serializers.Serializer):
    """The plan: steps (timeline), state, the last decision with each gate's figures."""

    flag = serializers.CharField()
    state = serializers.ChoiceField(RolloutPlan.State.choices)
    version = serializers.IntegerField()
    position = serializers.IntegerField()
    step_started_at = serializers.DateTimeField()
    next_decision_at = serializers.DateTimeField(allow_null=True)
    paused_reason = serializers.CharField()
    steps = serializers.ListField(child=serializers.DictField())
    thresholds = serializers.DictField()
    cohorts = serializers.DictField()
    last_decision = serializers.DictField()


def _steps(data: list[dict[str, Any]]) -> list[Any]:
    return [
        {
            "name": step["name"],
            "percentage": step["percentage"],
            "segments": step["segments"],
            "min_dwell": timedelta(seconds=step["min_dwell_seconds"]),
            "max_dwell": (
                None
                if step["max_dwell_seconds"] is None
                else timedelta(seconds=step["max_dwell_seconds"])
            ),
        }
        for step in data
    ]


def _response(plan: RolloutPlan, code: int = status.HTTP_200_OK) -> Response:
    return Response(plan_representation(plan), status=code, headers={"ETag": f'"{plan.version}"'})


def _as_sent(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    """The services name a step's dwell as the model does (`min_dwell`); the API takes it in
    seconds (`min_dwell_seconds`): errors name the field the client sent."""
    return {
        f"{key}_seconds" if key.endswith(("].min_dwell", "].max_dwell")) else key: messages
        for key, messages in fields.items()
    }


def _call(service: Any, **kwargs: Any) -> RolloutPlan:
    try:
        plan: RolloutPlan = service(**kwargs)
    except PlanInvalid as error:
        fields = error.fields or {"non_field_errors": [error.message]}
        raise exceptions.ValidationError(_as_sent(fields)) from None
    except RolloutError as error:
        raise RolloutAPIError(error) from None
    return plan


class PlanView(FlagAPIView):
    required_permissions = {"GET": "view", "POST": "change"}

    @extend_schema(summary="Read a flag's rollout plan", responses=PlanOutput)
    def get(self, request: Request, name: str) -> Response:
        plan = plan_for_flag(checked_name(name))
        if plan is None:
            raise RolloutAPIError(PlanNotFound(name))
        return _response(plan)

    @extend_schema(
        summary="Start a rollout plan (the seed's five phases, or your steps)",
        request=PlanCreateInput,
        responses={201: PlanOutput},
    )
    def post(self, request: Request, name: str) -> Response:
        data = validated(request, PlanCreateInput)
        data.pop("template", None)
        steps = _steps(data.pop("steps")) if "steps" in data else None
        plan = _call(
            services.plan_create,
            flag_name=checked_name(name),
            actor=actor_for(request),
            steps=steps,
            **data,
        )
        return _response(plan, status.HTTP_201_CREATED)


class _PlanActionView(FlagAPIView):
    required_permissions = {"POST": "change"}
    action = ""

    def post(self, request: Request, name: str) -> Response:
        data = validated(request, CommentInput)
        service = services.PLAN_ACTIONS[self.action]
        plan = _call(
            service,
            flag_name=checked_name(name),
            actor=actor_for(request),
            expected_version=expected_version(request),
            comment=data["comment"],
        )
        return _response(plan)


def _action_view(action: str, summary: str) -> type[_PlanActionView]:
    class View(_PlanActionView):
        @extend_schema(
            summary=summary,
            request=CommentInput,
            responses={
                200: PlanOutput,
                409: OpenApiResponse(description="Not possible in the plan's state."),
            },
            parameters=[IF_MATCH],
        )
        def post(self, request: Request, name: str) -> Response:
            return super().post(request, name)

    View.action = action
    View.__name__ = View.__qualname__ = f"Plan{action.title()}View"
    return View


PlanPauseView = _action_view("pause", "Pause the plan (the flag stays as it is)")
PlanResumeView = _action_view("resume", "Resume a paused plan from its current step")
PlanAdvanceView = _action_view("advance", "Advance to the next step now, whatever the gates say")
PlanAbortView = _action_view("abort", "Stop the plan for good (the flag stays as it is)")
