"""A hub 4xx counts in the visitor's cohort on the dashboard, and /favicon.ico is no 4xx.

Real requests through every middleware, then the dashboard's own JSON: what the rollout is
judged by.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from flags.testutils import override_flag
from llmhub.hub.seed.loaders import seed_catalog, seed_tiers
from llmhub.hub.tests.factories import StaffUserFactory
from telemetry import buffer
from telemetry.models import Event

HUB = "/admin/llm-management/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def root() -> Client:
    seed_catalog()
    seed_tiers()
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", password="pw-root-1"))
    return client


def _client_errors_today(client: Client) -> dict[str, int]:
    buffer.flush()  # client errors go to the process buffer, like api_call
    data = client.get("/telemetry/data.json?days=1").json()
    return {cohort: data["cohorts"][cohort]["client_errors"][-1] for cohort in data["cohorts"]}


@pytest.mark.parametrize(
    ("flag_on", "url", "cohort"),
    [
        (True, f"{HUB}nosuch/", "new_hub"),
        (False, f"{HUB}nosuch/", "old_pages"),
        (True, f"{HUB}old/nosuch/", "old_pages"),
    ],
)
def test_hub_404__counts_in_the_visitors_cohort_on_the_dashboard(
    root: Client, flag_on: bool, url: str, cohort: str
) -> None:
    with override_flag("unified_llm_hub", active=flag_on):
        assert root.get(url).status_code == 404
    other = "old_pages" if cohort == "new_hub" else "new_hub"
    assert _client_errors_today(root) == {cohort: 1, other: 0}


@override_flag("unified_llm_hub", active=True)
def test_hub_403__counts_in_the_visitors_cohort_on_the_dashboard(root: Client) -> None:
    refused = Client()
    refused.force_login(StaffUserFactory.create(username="nobody", hub_access=False))
    assert refused.get(f"{HUB}keys/").status_code == 403
    assert _client_errors_today(root) == {"new_hub": 1, "old_pages": 0}


def test_favicon__served__so_no_page_load_stores_a_client_error(root: Client) -> None:
    with override_flag("unified_llm_hub", active=True):
        page = root.get(f"{HUB}keys/").content.decode()
    assert '<link rel="icon" href="/static/favicon.ico">' in page
    for url in ("/favicon.ico", "/admin/", "/telemetry/"):  # /static/ is not served in tests
        response = root.get(url)
        assert response.status_code == 200, url
    icon = root.get("/favicon.ico")
    assert icon["Content-Type"] == "image/x-icon" and icon.content[:4] == b"\x00\x00\x01\x00"
    assert "max-age=86400" in icon["Cache-Control"]
    buffer.flush()
    assert not Event.objects.filter(action="client_error").exists()
    assert _client_errors_today(root) == {"new_hub": 0, "old_pages": 0}
