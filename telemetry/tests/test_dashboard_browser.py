"""The dashboard in a real browser, as under `make run`: an admin clicks through the hub, opens
the dashboard from the admin index, and sees their own clicks there without aggregating."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from llmhub.hub.tests.factories import seed_hub
from telemetry.models import AggregationState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HUB = "/admin/llm-management/"
PASSWORD = "pw-dashboard-1"


def _new_hub_views_today(page: Any) -> int:
    """The new hub's views of the table's last row (today), as the page shows them."""
    rows = page.locator(".tm-table").first.locator("tbody tr")
    cells = rows.last.locator("td").all_inner_texts()
    return int(cells[2])


def test_dashboard__own_clicks__show_without_aggregating(
    live_server: Any, browser_page: Any
) -> None:
    seed_hub(rollout_percentage=100)
    get_user_model().objects.create_superuser("root", password=PASSWORD)
    page, base = browser_page, live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # an admin signs in and clicks through three hub tabs
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")
    for tab in ("keys", "models", "rules"):
        page.goto(f"{base}{HUB}{tab}/")
        page.wait_for_load_state("networkidle")
    # opens the dashboard from the admin index
    page.goto(f"{base}/admin/")
    page.click("#telemetry-dashboard-link")
    page.wait_for_url(re.compile(r".*/telemetry/$"))
    page.wait_for_load_state("networkidle")
    # and sees those views at once, nothing aggregated
    assert not AggregationState.objects.filter(received_until__isnull=False).exists()
    assert _new_hub_views_today(page) >= 3
    assert "counted from raw events as they arrive" in page.content()
    # every chart is drawn, the client errors' too
    for chart in ("chart-views", "chart-errors", "chart-client-errors", "chart-api"):
        assert page.evaluate(f"!!Chart.getChart(document.getElementById('{chart}'))")
    # one press of "Aggregate now" stores it all, and the figures stay what they were
    shown = _new_hub_views_today(page)
    page.click("text=Aggregate now")
    # generous: the press aggregates every pending bucket, slow on a loaded machine (a full
    # suite run timed out at the default 10 s)
    page.wait_for_load_state("networkidle", timeout=90_000)
    assert "Every closed bucket is aggregated." in page.content()
    assert _new_hub_views_today(page) == shown
    assert AggregationState.objects.filter(received_until__isnull=False).count() == 3
    assert errors == []
