from django.urls import path

from notifications.views import TriggerView

app_name = "notifications"

urlpatterns = [
    path("api/v1/triggers/<str:secret>", TriggerView.as_view(), name="trigger"),
]
