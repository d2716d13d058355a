"""The telemetry dashboard marks plan decisions: in its JSON, its table and on its charts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from rollout import services, ticks
from rollout.tests.traffic import HUMAN, make_flag, record_feedback, record_requests

PASSWORD = "pw-marks-1"


def _killed_plan() -> None:
    make_flag()
    now = timezone.now()
    plan = services.plan_create(
        flag_name="unified_llm_hub", actor=HUMAN, now=now - timedelta(minutes=30)
    )
    record_requests("new_hub", requests=1000, errors=50, at=now - timedelta(minutes=20))
    record_requests("old_pages", requests=1000, errors=3, at=now - timedelta(minutes=20))
    record_feedback("new_hub", positive=20, negative=0, at=now - timedelta(minutes=20))
    assert ticks.plan_decide(plan_id=plan.pk, now=now).kind == "kill"


@pytest.mark.django_db
@pytest.mark.usefixtures("quiet_events")
def test_dashboard_json__lists_the_plans_decisions(admin_client) -> None:
    _killed_plan()

    data = admin_client.get("/telemetry/data.json?days=1").json()

    decision = data["decisions"][-1]
    assert (decision["flag"], decision["decision"], decision["enabled"]) == (
        "unified_llm_hub",
        "kill",
        False,
    )
    assert "Error rate failed" in decision["reason"]
    page = admin_client.get("/telemetry/?days=1").content.decode()
    assert 'id="plan-decisions"' in page and "off (killed)" in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("quiet_events")
def test_dashboard_charts__draw_a_mark_per_decision(live_server: Any, browser_page: Any) -> None:
    _killed_plan()
    get_user_model().objects.create_superuser("root", password=PASSWORD)
    page, base = browser_page, live_server.url
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base}/admin/login/?next=/telemetry/")
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_load_state("networkidle")

    marks = page.evaluate("document.getElementById('chart-errors').dataset.decisionMarks")

    # the start at 0 % is no change (the flag was at 0 %); the kill is one mark
    assert marks == "1" and errors == []
