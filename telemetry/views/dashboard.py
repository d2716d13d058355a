"""The staff dashboard at /telemetry/, the same data as JSON, and /metrics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from telemetry import metrics
from telemetry.cohorts import COHORTS
from telemetry.enqueue import enqueue_on_commit
from telemetry.period import PeriodError, period_from_query
from telemetry.permissions import MayViewDashboard, may_aggregate, may_view_dashboard
from telemetry.selectors import dashboard_data
from telemetry.tasks import aggregate_closed_buckets
from telemetry.views.ingest import error_response

TITLE = "Telemetry: is the new hub healthy?"


@require_GET
@staff_member_required
def dashboard(request: HttpRequest) -> HttpResponse:
    if not may_view_dashboard(request.user):
        raise PermissionDenied
    try:
        period = period_from_query(request.GET)
    except PeriodError as exc:
        context: dict[str, Any] = {"error": exc.message, "title": TITLE}
        return render(request, "telemetry/dashboard.html", context, status=400)
    data = dashboard_data(period)
    rows = [
        {
            "day": day,
            "cohorts": [{k: v[i] for k, v in data["cohorts"][c].items()} for c in COHORTS],
        }
        for i, day in enumerate(data["days"])
    ]
    context = {
        "title": TITLE,
        "data": data,
        "rows": rows,
        "may_aggregate": may_aggregate(request.user),
        # The JSON's ISO strings as datetimes, for the template's readable date format.
        "aggregated": {k: _when(v) for k, v in data["aggregated_until"].items()},
        "raw_since": _when(data["raw_since"]),
    }
    return render(request, "telemetry/dashboard.html", context)


def _when(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


class DashboardDataView(APIView):
    """The dashboard's figures as JSON for scripts: staff with the dashboard's view permission,
    by session or API token."""

    permission_classes = [IsAdminUser, MayViewDashboard]

    @extend_schema(
        parameters=[
            OpenApiParameter("days", int, description="The last N days (1-90, default 7)."),
            OpenApiParameter("since", str, description="First day, YYYY-MM-DD."),
            OpenApiParameter("until", str, description="Last day, YYYY-MM-DD (included)."),
        ],
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiResponse(description="Bad period.")},
        summary="Telemetry dashboard data for a period",
    )
    def get(self, request: Request) -> Response:
        try:
            period = period_from_query(request.query_params)
        except PeriodError as exc:
            fields = {exc.field: [exc.message]}
            return error_response(400, "invalid", exc.message, fields)
        return Response(dashboard_data(period))


@require_POST
@staff_member_required
def aggregate_now(request: HttpRequest) -> HttpResponse:
    """Aggregate every bucket closed since the last run now, instead of at the next beat (the
    embedded default has no beat: the task runs here, eagerly). The page is fresh without it:
    this only stores the summaries."""
    if not may_aggregate(request.user):
        raise PermissionDenied
    enqueue_on_commit(aggregate_closed_buckets)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        messages.info(request, "Every closed bucket is aggregated.")
    else:
        messages.info(request, "Aggregation requested from the worker.")
    return redirect("telemetry:dashboard")


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition: staff, or a scraper at an address in METRICS_ALLOWED_IPS."""
    user = getattr(request, "user", None)
    allowed = request.META.get("REMOTE_ADDR") in settings.METRICS_ALLOWED_IPS
    if not allowed and not (user is not None and user.is_active and user.is_staff):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    body, content_type = metrics.render()
    return HttpResponse(body, content_type=content_type)
