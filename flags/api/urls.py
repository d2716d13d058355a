"""Routes of the flags REST API, under /api/v1/features/."""

from django.urls import URLPattern, URLResolver, path

from flags.api import read_views, views

FEATURES = "api/v1/features/"

urlpatterns: list[URLPattern | URLResolver] = [
    path(FEATURES, views.FlagCollectionView.as_view(), name="flags_api_collection"),
    path(
        f"{FEATURES}user/<str:user_id>/enabled",
        read_views.EnabledForUserView.as_view(),
        name="flags_api_enabled_for_user",
    ),
    path(f"{FEATURES}<str:name>", views.FlagDetailView.as_view(), name="flags_api_flag"),
    path(f"{FEATURES}<str:name>/enable", views.FlagEnableView.as_view(), name="flags_api_enable"),
    path(
        f"{FEATURES}<str:name>/disable", views.FlagDisableView.as_view(), name="flags_api_disable"
    ),
    path(
        f"{FEATURES}<str:name>/rollout/<str:percent>",
        views.FlagRolloutView.as_view(),
        name="flags_api_rollout",
    ),
    path(
        f"{FEATURES}<str:name>/history",
        read_views.FlagHistoryView.as_view(),
        name="flags_api_history",
    ),
    path(
        f"{FEATURES}<str:name>/rollback/<str:version>",
        views.FlagRollbackView.as_view(),
        name="flags_api_rollback",
    ),
]
