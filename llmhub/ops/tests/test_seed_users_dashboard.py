"""Seeded demo users, signed in through the login form, may read the telemetry dashboard (to
watch their own clicks counted) but not aggregate; the admin may do both."""

from __future__ import annotations

import io

import pytest
from django.test import Client, override_settings

from llmhub.ops.seed_users import REGULAR_PASSWORD, seed_users
from llmhub.seeding import SeedRun
from tests.html_forms import csrf_token_in

pytestmark = pytest.mark.django_db


def _signed_in(username: str, password: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    token = csrf_token_in(client.get("/admin/login/").content.decode())
    data = {"username": username, "password": password, "csrfmiddlewaretoken": token}
    assert client.post("/admin/login/?next=/telemetry/", data).status_code == 302
    return client


@override_settings(DEBUG=True)
def test_seeded_users__demo_user_reads_the_dashboard__admin_also_aggregates() -> None:
    seed_users(SeedRun(out=io.StringIO(), users=2, show_progress=False))
    demo = _signed_in("user001", REGULAR_PASSWORD)
    page = demo.get("/telemetry/")
    assert page.status_code == 200 and "Aggregate now" not in page.content.decode()
    assert 'id="telemetry-dashboard-link"' in demo.get("/admin/").content.decode()
    admin = _signed_in("admin", "llmhub-admin")
    assert "Aggregate now" in admin.get("/telemetry/").content.decode()
