"""Django admin: telemetry is read-only and filterable."""

from __future__ import annotations

import pytest
from django.test import Client

from telemetry.models import Event
from telemetry.tests.factories import EventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(django_user_model) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("root", "r@x.io", "pw"))
    return client


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?event_type__exact=page_view",
        "?page=hub",
        "?flag=unified_llm_hub",
        "?occurred_at__year=2026&occurred_at__month=11",
    ],
)
def test_event_admin__list_and_filters__answer(admin_client_: Client, query: str) -> None:
    EventFactory(flag="unified_llm_hub")
    response = admin_client_.get(f"/admin/telemetry/event/{query}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/admin/telemetry/eventsummary/",
        "/admin/telemetry/flagevaluationcount/",
        "/admin/telemetry/aggregationstate/",
    ],
)
def test_summary_admins__list__answer(admin_client_: Client, url: str) -> None:
    assert admin_client_.get(url).status_code == 200


def test_event_admin__even_a_superuser__cannot_add_change_or_delete(admin_client_: Client) -> None:
    EventFactory()
    event = Event.objects.get()
    assert admin_client_.get("/admin/telemetry/event/add/").status_code == 403
    detail = admin_client_.get(f"/admin/telemetry/event/{event.pk}/change/")
    assert detail.status_code == 200 and b'type="submit" value="Save"' not in detail.content
    assert admin_client_.post(f"/admin/telemetry/event/{event.pk}/delete/").status_code == 403
