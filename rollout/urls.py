"""Routes of the plan API, beside the flags API under /api/v1/features/."""

from django.urls import URLPattern, path

from rollout import api

FEATURES = "api/v1/features/"

urlpatterns: list[URLPattern] = [
    path(f"{FEATURES}<str:name>/plan", api.PlanView.as_view(), name="rollout_api_plan"),
    *(
        path(f"{FEATURES}<str:name>/plan/{action}", view.as_view(), name=f"rollout_api_{action}")
        for action, view in (
            ("pause", api.PlanPauseView),
            ("resume", api.PlanResumeView),
            ("advance", api.PlanAdvanceView),
            ("abort", api.PlanAbortView),
        )
    ),
]
