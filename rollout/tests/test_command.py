"""`manage.py rollout` as an operator types it."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from flags.models import Flag, FlagChange
from rollout.models import RolloutPlan
from rollout.tests.traffic import make_flag

pytestmark = pytest.mark.django_db


def _rollout(*args: str) -> str:
    out = StringIO()
    call_command("rollout", *args, stdout=out)
    return out.getvalue()


def test_rollout_command__plan_show_pause_resume_advance_abort() -> None:
    make_flag(rollout_percentage=30)

    assert "step 1 of 6" in _rollout("plan", "unified_llm_hub")
    shown = json.loads(_rollout("show", "unified_llm_hub"))
    _rollout("pause", "unified_llm_hub")
    paused = RolloutPlan.objects.get().state
    _rollout("resume", "unified_llm_hub")
    assert "step 2" in _rollout("advance", "unified_llm_hub")
    _rollout("abort", "unified_llm_hub")

    assert (shown["state"], shown["steps"][0]["current"], paused) == ("active", True, "paused")
    assert RolloutPlan.objects.get().state == "aborted"
    assert Flag.objects.get().rollout_percentage == 10
    actors = set(FlagChange.objects.filter(source="schedule").values_list("actor", flat=True))
    assert actors == {"manage.py rollout"}


def test_rollout_decide__nothing_due__prints_nothing() -> None:
    assert _rollout("decide") == ""
