"""Who may read the telemetry dashboard, and who may press its "Aggregate now".

The dashboard is not a model, so it borrows the permissions of the one it shows: reading
summaries is `view_eventsummary`; aggregating writes them, so it is `change_eventsummary`.
Both also need staff, like every admin page (the summary admin itself stays read-only).
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

VIEW_DASHBOARD_PERMISSION = "telemetry.view_eventsummary"
AGGREGATE_PERMISSION = "telemetry.change_eventsummary"


def may_view_dashboard(user: Any) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm(VIEW_DASHBOARD_PERMISSION))


def may_aggregate(user: Any) -> bool:
    return may_view_dashboard(user) and bool(user.has_perm(AGGREGATE_PERMISSION))


class MayViewDashboard(BasePermission):
    """DRF's form of may_view_dashboard, for the dashboard's JSON twin."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return may_view_dashboard(request.user)
