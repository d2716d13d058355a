"""A pager's trigger URL is the kill switch: a running rollout plan never blocks it.

Two independent apps meet here (notifications' trigger, rollout's plan), so the test sits
above both: the trigger fired through its real URL, the plan paused by the change, and the
next decision tick leaves the disabled flag alone.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from flags.models import Flag, FlagChange
from notifications.services import trigger_create
from rollout import services as rollout_services
from rollout.models import RolloutPlan
from rollout.tests.traffic import HUMAN, make_flag
from rollout.ticks import plan_decide

pytestmark = pytest.mark.django_db


def test_trigger__plan_running__flag_disabled_plan_paused_and_left_alone(
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given the hub flag under a running plan, and a trigger URL for it
    flag = make_flag()
    now = timezone.now()
    plan = rollout_services.plan_create(flag_name=flag.name, actor=HUMAN, now=now)
    _, secret = trigger_create(flag=Flag.objects.get(name=flag.name), label="alertmanager")

    # when the pager posts to it
    with django_capture_on_commit_callbacks(execute=True):
        answer = Client().post(f"/api/v1/triggers/{secret}")

    # then the flag is off, by the trigger as its own actor
    assert answer.status_code == 200, answer.content
    assert answer.json()["changed"] is True
    assert Flag.objects.get(name=flag.name).enabled is False
    change = FlagChange.objects.filter(flag_name=flag.name).latest("version")
    assert (change.action, change.actor_kind) == ("disable", "trigger")
    # and the plan stands paused, so no tick turns the flag back on
    plan.refresh_from_db()
    assert plan.state == RolloutPlan.State.PAUSED
    plan_decide(plan_id=plan.pk, now=now + timedelta(days=30))
    assert Flag.objects.get(name=flag.name).enabled is False
    assert FlagChange.objects.filter(flag_name=flag.name).latest("version") == change
