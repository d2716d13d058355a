"""End to end in Chromium against a live server: the flag decides who gets the new hub.

Set LLMHUB_SCREENSHOTS=1 to (re)write docs/screenshots/ from these runs.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from flags.models import FlagChange
from flags.services import flag_rollback
from llmhub.actors import Actor
from llmhub.hub.models import LLMModel, ProviderKey
from llmhub.hub.tests.factories import PASSWORD, StaffUserFactory, seed_hub
from telemetry.models import Event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HUB = "/admin/llm-management/"
SECRET = "sk-ant-api03-browserTESTsecret-9876-wxyz"
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"


@pytest.fixture
def hub_data() -> None:
    seed_hub(rollout_percentage=0, whitelist_users=["hubtester"])


def log_in(page: Any, base: str, username: str) -> None:
    StaffUserFactory.create(username=username)
    page.goto(f"{base}/admin/login/?next={HUB}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}{HUB}")
    settle(page)


def settle(page: Any) -> None:
    """Wait until the page's requests (the load-time beacon too) are done before the test
    touches the database: SQLite's shared in-memory test database locks tables, not rows."""
    page.wait_for_load_state("networkidle")


def eventually(check: Callable[[], Any], seconds: float = 5.0) -> Any:
    """Poll until `check()` is truthy: browser beacons arrive asynchronously."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def screenshot(page: Any, name: str) -> None:
    if os.environ.get("LLMHUB_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def disable_in_admin(page: Any, base: str, username: str) -> None:
    """An admin, in a browser of their own, runs the kill-switch action on the flag list."""
    context = page.context.browser.new_context()
    admin_page = context.new_page()
    admin_page.goto(f"{base}/admin/login/?next=/admin/flags/flag/")
    admin_page.fill("#id_username", username)
    admin_page.fill("#id_password", PASSWORD)
    admin_page.click("input[type=submit]")
    admin_page.wait_for_url(f"{base}/admin/flags/flag/")
    row = admin_page.locator("tr", has=admin_page.locator("a", has_text="unified_llm_hub"))
    row.locator('input[name="_selected_action"]').check()
    admin_page.select_option('select[name="action"]', "disable_flags")
    admin_page.click('button[name="index"]')
    admin_page.wait_for_load_state("networkidle")
    assert "Disabled: unified_llm_hub" in admin_page.content()
    context.close()


def selected_tab(page: Any) -> str:
    return str(page.get_attribute('[role="tab"][aria-selected="true"]', "id"))


def test_whitelisted_staff__gets_the_hub__switches_tabs_adds_a_key_toggles_a_model(
    hub_data: None, live_server: Any, browser_page: Any
) -> None:
    page, base = browser_page, live_server.url
    # given a whitelisted staff user, when they open the hub
    log_in(page, base, "hubtester")
    # then they get the unified hub on its first tab
    assert page.locator('[role="tablist"]').is_visible()
    assert selected_tab(page) == "tab-keys"

    # when they click a tab, and then use the keyboard
    page.click("#tab-models")
    assert selected_tab(page) == "tab-models" and page.url.endswith(f"{HUB}models/")
    assert page.locator("#panel-models").is_visible() and page.locator("#panel-keys").is_hidden()
    page.keyboard.press("ArrowRight")
    assert selected_tab(page) == "tab-rules"
    assert page.evaluate("document.activeElement.id") == "tab-rules"
    page.keyboard.press("End")
    assert selected_tab(page) == "tab-usage"
    page.keyboard.press("Home")
    assert selected_tab(page) == "tab-keys"
    page.keyboard.press("ArrowLeft")
    assert selected_tab(page) == "tab-usage"

    # when they add a key: they see its preview, never the key
    page.click("#tab-keys")
    page.select_option("#id_provider", "anthropic")
    page.fill("#id_label", "production")
    page.fill("#id_secret", SECRET)
    page.click("form.grid-form button[type=submit]")
    page.wait_for_url(f"{base}{HUB}keys/")
    settle(page)
    assert "sk-an…wxyz" in page.inner_text("table")
    assert SECRET not in page.content()
    assert ProviderKey.objects.get(label="production").secret == SECRET
    screenshot(page, "hub-keys")

    # when they disable a model from the catalog
    page.click("#tab-models")
    page.fill("#id_q", "gpt-4o")
    page.click("form.filters button[type=submit]")
    page.click('button[aria-label="Disable openai/gpt-4o"]')
    page.wait_for_url(re.compile(r".*/models/\?q=gpt-4o$"))
    settle(page)
    assert page.locator('tr[data-model="openai/gpt-4o"] .badge').inner_text() == "disabled"
    assert LLMModel.objects.get(model_id="openai/gpt-4o").enabled is False
    page.click('button[aria-label="Enable openai/gpt-4o"]')
    page.goto(f"{base}{HUB}models/")
    screenshot(page, "hub-models")
    page.goto(f"{base}{HUB}rules/?check-tier=starter&check-model=openai/gpt-4o")
    screenshot(page, "hub-rules")
    page.goto(f"{base}{HUB}usage/")
    screenshot(page, "hub-usage")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{base}{HUB}rules/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways page
    screenshot(page, "hub-rules-phone")
    settle(page)

    # then the visits, the tab switches, the actions and the load times are stored
    mine = Event.objects.filter(user_id="hubtester")
    assert mine.filter(event_type="page_view", cohort="new_hub", page="hub", tab="keys").exists()
    assert mine.filter(event_type="user_action", action="key_added", cohort="new_hub").exists()
    assert mine.filter(event_type="user_action", action="model_disabled").exists()
    assert eventually(
        lambda: mine.filter(event_type="feature_usage", feature="hub_tab", tab="rules").exists()
    )
    assert eventually(
        lambda: (
            mine.filter(event_type="performance", action="page_load", cohort="new_hub")
            .exclude(duration_ms=None)
            .exists()
        )
    )


def test_staff_outside_the_rollout__gets_the_old_pages(
    hub_data: None, live_server: Any, browser_page: Any
) -> None:
    page, base = browser_page, live_server.url
    log_in(page, base, "oldtimer")
    assert page.locator('[role="tablist"]').count() == 0
    assert page.locator("h1").inner_text() == "Providers & keys"
    assert page.locator("#try-new-hub").count() == 0
    screenshot(page, "old-providers")
    # a hub URL sends them to the old page with the same data
    page.goto(f"{base}{HUB}rules/")
    assert page.url.endswith(f"{HUB}old/routing/")
    assert page.locator("h1").inner_text() == "Routing"
    settle(page)
    views = Event.objects.filter(user_id="oldtimer", event_type="page_view")
    assert set(views.values_list("cohort", flat=True)) == {"old_pages"}
    assert set(views.values_list("page", flat=True)) == {"old_providers", "old_routing"}


def test_admin_disables_the_flag__next_load_serves_the_old_pages(
    hub_data: None, live_server: Any, browser_page: Any
) -> None:
    page, base = browser_page, live_server.url
    log_in(page, base, "hubtester")
    assert page.locator('[role="tablist"]').is_visible()
    admin = StaffUserFactory.create(username="flagadmin", is_superuser=True)

    # when an admin flips the kill switch in Django admin: the very next load is the old pages
    disable_in_admin(page, base, "flagadmin")
    assert FlagChange.objects.filter(
        flag_name="unified_llm_hub", action="disable", actor="flagadmin", source="admin"
    ).exists()
    page.reload()
    assert page.locator('[role="tablist"]').count() == 0
    assert page.locator("h1").inner_text() == "Providers & keys"
    settle(page)

    # when the admin rolls back to the version that let the user in: the hub is back
    flag_rollback(name="unified_llm_hub", version=1, actor=Actor.for_user(admin), source="admin")
    page.goto(f"{base}{HUB}old/models/")
    assert page.locator("#try-new-hub").is_visible()
    page.click("#try-new-hub")
    assert page.locator('[role="tablist"]').is_visible()
    settle(page)

    cohorts = list(
        Event.objects.filter(user_id="hubtester", event_type="page_view")
        .order_by("occurred_at", "id")
        .values_list("cohort", flat=True)
    )
    assert cohorts == ["new_hub", "old_pages", "old_pages", "new_hub"]


def test_tabs_without_javascript__every_tab_reachable_with_the_keyboard(
    hub_data: None, live_server: Any, browser_page: Any
) -> None:
    base = live_server.url
    context = browser_page.context.browser.new_context(java_script_enabled=False)
    page = context.new_page()
    StaffUserFactory.create(username="hubtester")
    page.goto(f"{base}/admin/login/?next={HUB}")
    page.fill("#id_username", "hubtester")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}{HUB}")
    reached = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement && document.activeElement.id"))
    assert {"tab-keys", "tab-models", "tab-rules", "tab-usage"} <= reached
    page.focus("#tab-rules")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}{HUB}rules/")
    assert page.get_attribute("#tab-rules", "aria-current") == "page"
    context.close()
