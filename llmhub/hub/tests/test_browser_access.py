"""In Chromium: the login page names a missing access, and a view-only user gets no buttons."""

from __future__ import annotations

from typing import Any

import pytest

from llmhub.hub.login import NO_ACCESS_MESSAGE
from llmhub.hub.permissions import HUB_USER_PERMISSIONS, permission_objects
from llmhub.hub.tests.factories import PASSWORD, StaffUserFactory, seed_hub

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HUB = "/admin/llm-management/"


def submit_login(page: Any, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/admin/login/?next={HUB}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_load_state("networkidle")


def test_login__not_staff__told_no_access(browser_page: Any, live_server: Any) -> None:
    StaffUserFactory.create(username="outsider", is_staff=False, hub_access=False)
    submit_login(browser_page, live_server.url, "outsider")
    assert NO_ACCESS_MESSAGE in browser_page.locator(".errornote").inner_text()
    submit_login(browser_page, live_server.url, "outsider", "wrong-password")
    assert "correct username and password" in browser_page.locator(".errornote").inner_text()


def test_hub__view_only_staff__sees_data_but_no_buttons(
    browser_page: Any, live_server: Any
) -> None:
    seed_hub(rollout_percentage=100)
    viewer = StaffUserFactory.create(username="viewer", hub_access=False)
    views = [perm for perm in HUB_USER_PERMISSIONS if ".view_" in perm]
    viewer.user_permissions.add(*permission_objects(views))
    submit_login(browser_page, live_server.url, "viewer")
    page = browser_page
    assert page.url == f"{live_server.url}{HUB}"
    assert page.get_by_role("tab").count() == 4
    assert page.get_by_role("button", name="Add key").count() == 0
    page.get_by_role("tab", name="Model catalog").click()
    assert page.locator("tr[data-model]").count() > 0
    assert page.get_by_role("button", name="Disable").count() == 0
    page.get_by_role("tab", name="Tier rules").click()
    assert page.get_by_role("button", name="Create rule").count() == 0
    assert page.get_by_role("button", name="Delete").count() == 0
