"""OFREP routes (OpenFeature Remote Evaluation Protocol, v1)."""

from django.urls import URLPattern, URLResolver, path

from flags.ofrep import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("ofrep/v1/evaluate/flags", views.OfrepBulkView.as_view(), name="ofrep_bulk"),
    path("ofrep/v1/evaluate/flags/<str:key>", views.OfrepEvaluateView.as_view(), name="ofrep_flag"),
]
