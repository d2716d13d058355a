"""The feedback prompt's answers, "back to the old pages" and "Try the new hub".

The two page actions are plain form POSTs (they work without JavaScript) that redirect; the
prompt, which only JavaScript shows, posts JSON to `POST /api/v1/hub/feedback`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from llmhub.hub import feedback, permissions
from llmhub.hub.gate import TAB_SLUGS, hub_enabled_for, old_page_for
from llmhub.hub.views.pages import staff_entry

NOT_ELIGIBLE = (
    "The new hub is not open to your account yet; an administrator can add you to its testers."
)


@staff_entry
@require_POST
def back_to_old_pages(request: HttpRequest) -> HttpResponse:
    """Counted as a `hub_opt_out`, remembered, and on to the old page of the tab in view."""
    tab = request.POST.get("tab", "")
    shown = permissions.viewable_tabs(request.user, TAB_SLUGS)
    tab = tab if tab in shown else (shown[0] if shown else "keys")
    if hub_enabled_for(request) and not feedback.hub_opted_out(request.user):
        feedback.hub_opt_out(user=request.user, step=feedback.rollout_step(), tab=tab)
        messages.info(request, "You are back on the old pages. The new hub is a click away.")
    return redirect("hub:old", page=old_page_for(tab))


@staff_entry
@require_POST
def try_new_hub(request: HttpRequest) -> HttpResponse:
    """Honoured only where the flag already lets the user in (see llmhub.hub.feedback); for
    anyone else the hub's root serves the old pages, now with a word on why."""
    if hub_enabled_for(request):
        feedback.hub_opt_in(user=request.user)
    else:
        messages.warning(request, NOT_ELIGIBLE)
    return redirect("hub:root")


class FeedbackInputSerializer(serializers.Serializer):
    answer = serializers.ChoiceField(choices=feedback.Outcome.values)
    comment = serializers.CharField(
        max_length=feedback.MAX_COMMENT_LENGTH, required=False, allow_blank=True, default=""
    )


class FeedbackResultSerializer(serializers.Serializer):
    answer = serializers.CharField()
    step = serializers.CharField(help_text="The rollout step the answer counts for.")


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class FeedbackView(APIView):
    """A signed-in hub user served the new hub answers (or dismisses) the prompt."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="hub_feedback",
        summary="Answer or dismiss the new hub's feedback prompt (once per rollout step)",
        request=FeedbackInputSerializer,
        responses={201: FeedbackResultSerializer},
        tags=["hub"],
    )
    def post(self, request: Request) -> Response:
        if not permissions.may_enter(request.user):
            raise PermissionDenied("This account has no access to the hub.")
        data = _valid(request.data)
        if not hub_enabled_for(request._request) or feedback.hub_opted_out(request.user):
            raise Conflict(
                "You are not served the new hub, so there is nothing to rate.",
                code="not_in_new_hub",
            )
        step = feedback.rollout_step()
        try:
            feedback.feedback_reply(
                user=request.user, outcome=data["answer"], comment=data["comment"], step=step
            )
        except feedback.FeedbackAlreadyGiven:
            raise Conflict(
                f"You already answered at this rollout step ({step}).", code="already_answered"
            ) from None
        return Response({"answer": data["answer"], "step": step}, status=status.HTTP_201_CREATED)


def _valid(data: Any) -> dict[str, Any]:
    serializer = FeedbackInputSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
