"""The plan page in admin, as a browser uses it: rendered, its buttons and form submitted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.utils import timezone

from flags.models import Flag, FlagChange
from rollout import services
from rollout.models import RolloutPlan
from rollout.tests.traffic import HUMAN, make_flag, record_feedback, record_requests
from tests.html_forms import admin_form, forms_in, post_as_browser

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("quiet_events")]


@pytest.fixture
def plan() -> RolloutPlan:
    make_flag()
    started = timezone.now() - timedelta(minutes=30)
    plan = services.plan_create(flag_name="unified_llm_hub", actor=HUMAN, now=started)
    at = timezone.now() - timedelta(minutes=20)
    record_requests("new_hub", requests=1000, errors=40, at=at, latency_ms=300)
    record_requests("old_pages", requests=1000, errors=3, at=at)
    record_feedback("new_hub", positive=25, negative=1, at=at)
    return plan


def _url(plan: RolloutPlan) -> str:
    return f"/admin/rollout/rolloutplan/{plan.pk}/change/"


def test_plan_page__timeline_gates_with_figures_and_next_decision(
    admin_client: Client, plan
) -> None:
    page = admin_client.get(_url(plan)).content.decode()

    # the timeline: six steps, the first current
    assert page.count('<li class="current"') == 1 and "Phase 5: everyone" in page
    assert 'aria-current="step"' in page
    # each gate with its colour, figures and sample sizes
    assert 'class="gate-pass" data-gate="samples"' in page
    assert 'class="gate-fail" data-gate="error_rate"' in page and "4.00% new vs 0.30% old" in page
    assert 'data-gate="latency"' in page and "p75 3" in page
    assert 'class="gate-pass" data-gate="satisfaction"' in page and "of 26 answers" in page
    assert "1000 new / 1000 old requests" in page
    assert "Next decision:" in page
    assert [f.url(_url(plan)) for f in forms_in(page) if "plan/" in f.attrs.get("action", "")] == [
        f"/admin/rollout/rolloutplan/{plan.pk}/plan/{a}/" for a in ("pause", "advance", "abort")
    ]


def test_plan_page__pause_then_advance_buttons_as_pressed(admin_client: Client, plan) -> None:
    page = admin_client.get(_url(plan)).content.decode()
    pause = next(f for f in forms_in(page) if f.attrs.get("action", "").endswith("/pause/"))

    response = post_as_browser(admin_client, pause.url(_url(plan)), pause.submission(None))

    assert response.status_code == 302
    assert RolloutPlan.objects.get().state == "paused"
    page = admin_client.get(_url(plan)).content.decode()
    assert "Paused by admin." in page
    advance = next(f for f in forms_in(page) if f.attrs.get("action", "").endswith("/advance/"))
    post_as_browser(admin_client, advance.url(_url(plan)), advance.submission(None))
    assert Flag.objects.get().rollout_percentage == 10
    change = FlagChange.objects.filter(details__decision="advance_now").get()
    assert change.actor == "admin"


def test_plan_page__steps_edited_in_the_form__saved_through_the_service(
    admin_client: Client, plan
) -> None:
    form = admin_form(admin_client.get(_url(plan)).content.decode())
    form.fill(
        {"steps-1-percentage": "15", "steps-1-min_dwell": "2 00:00:00", "min_requests": "500"}
    )

    response = post_as_browser(admin_client, _url(plan), form.submission())

    assert response.status_code == 302, response.content.decode()[:2000]
    plan.refresh_from_db()
    step = plan.steps.get(position=1)
    assert (step.percentage, step.min_dwell, plan.min_requests) == (15, timedelta(days=2), 500)


def test_plan_page__shrinking_step__refused_with_the_reason_and_nothing_saved(
    admin_client: Client, plan
) -> None:
    form = admin_form(admin_client.get(_url(plan)).content.decode())
    form.fill({"steps-2-percentage": "5"})

    response = post_as_browser(admin_client, _url(plan), form.submission())

    assert response.status_code == 200
    assert "Steps may not lower the percentage." in response.content.decode()
    assert plan.steps.get(position=2).percentage == 25


def test_plan_buttons__without_change_flag__refused(client: Client, plan) -> None:
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.set(
        Permission.objects.filter(codename__in=["view_rolloutplan", "change_rolloutplan"])
    )
    client.force_login(viewer)
    page = client.get(_url(plan)).content.decode()
    assert "plan/pause/" not in page
    response = client.post(f"/admin/rollout/rolloutplan/{plan.pk}/plan/pause/")
    assert response.status_code == 403
    assert RolloutPlan.objects.get().state == "active"


def test_add_page__starts_the_template_on_the_chosen_flag(admin_client: Client) -> None:
    flag = make_flag("other_flag", rollout_percentage=40)
    form = admin_form(admin_client.get("/admin/rollout/rolloutplan/add/").content.decode())
    form.fill({"flag": str(flag.pk)})

    response = post_as_browser(admin_client, "/admin/rollout/rolloutplan/add/", form.submission())

    assert response.status_code == 302
    plan = RolloutPlan.objects.get(flag=flag)
    assert plan.steps.count() == 6 and Flag.objects.get(pk=flag.pk).rollout_percentage == 0
