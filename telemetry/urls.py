"""Routes of the telemetry app."""

from django.urls import URLPattern, URLResolver, path

from telemetry.views.dashboard import DashboardDataView, aggregate_now, dashboard, metrics_view
from telemetry.views.ingest import EventBatchView

app_name = "telemetry"

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/telemetry/events", EventBatchView.as_view(), name="events"),
    path("telemetry/", dashboard, name="dashboard"),
    path("telemetry/data.json", DashboardDataView.as_view(), name="data"),
    path("telemetry/aggregate", aggregate_now, name="aggregate"),
    path("metrics", metrics_view, name="metrics"),
]
