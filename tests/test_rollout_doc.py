"""docs/ROLLOUT.md and the rollout blocks of docs/ROLLBACK_PLAN.md cannot rot: their `sh`
blocks run exactly as written against a live server and this test's database."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from flags import services
from flags.models import Flag, FlagChange
from llmhub.actors import Actor
from llmhub.api.tokens.services import token_create
from rollout.models import RolloutPlan
from tests.doc_blocks import block, blocks, operator_env, run

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "ROLLOUT.md"
ROLLBACK_PLAN = ROOT / "docs" / "ROLLBACK_PLAN.md"
pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]
_run = run


def _blocks(path: Path = DOC) -> list[str]:
    return blocks(path)


def _block(containing: str, path: Path = DOC) -> str:
    return block(path, containing)


@pytest.fixture
def env(live_server, django_user_model) -> dict[str, str]:
    for name in ("unified_llm_hub", "checkout_v2"):
        services.flag_create(
            name=name,
            actor=Actor.system("tests"),
            source="command",
            enabled=True,
            rollout_percentage=5,
        )
    user = django_user_model.objects.create_superuser("oncall", "oncall@example.com", "pw")
    _, secret = token_create(
        username=user.get_username(), scope="write", label="doc", actor=Actor.system("test")
    )
    return operator_env(live_server.url, secret)


def test_doc__has_the_blocks_this_test_runs() -> None:
    assert len(_blocks()) == 5
    assert len([b for b in _blocks(ROLLBACK_PLAN) if "manage.py rollout" in b]) == 1


def test_start_show_read_then_pause_resume_advance_abort(env: dict[str, str]) -> None:
    shown = json.loads(_run(_block("rollout plan"), env).split("\n", 1)[1])
    assert [s["percentage"] for s in shown["steps"]] == [0, 10, 25, 50, 90, 100]
    assert Flag.objects.get(name="unified_llm_hub").rollout_percentage == 0
    read = json.loads(_run(_block('/plan"\n'), env))
    assert (read["state"], read["position"]) == ("active", 0)
    _run(_block("plan/pause"), env)
    plan = RolloutPlan.objects.get(flag__name="unified_llm_hub")
    assert (plan.state, plan.position) == ("aborted", 1)
    assert Flag.objects.get(name="unified_llm_hub").rollout_percentage == 10
    decisions = list(
        FlagChange.objects.filter(flag_name="unified_llm_hub", source="schedule")
        .order_by("version")
        .values_list("details__decision", flat=True)
    )
    assert decisions == ["start", "advance_now"]


def test_thresholds_given_at_creation(env: dict[str, str]) -> None:
    created = json.loads(_run(_block("min_requests"), env))
    assert created["thresholds"]["min_requests"] == 2000
    assert RolloutPlan.objects.get(flag__name="checkout_v2").window_minutes == 120


def test_simulation_block__kills_the_failing_hub(env: dict[str, str]) -> None:
    output = _run(_block("rollout simulate"), env)
    assert "Outcome: plan killed" in output
    assert re.search(r"\bkill\b", output)


def test_rollback_plan__shows_and_pauses_a_running_plan(env: dict[str, str]) -> None:
    services_env = dict(env)
    _run("python manage.py rollout plan unified_llm_hub", services_env)
    output = _run(_block("manage.py rollout", ROLLBACK_PLAN), env)
    assert '"state": "active"' in output and "paused" in output
    assert RolloutPlan.objects.get(flag__name="unified_llm_hub").state == "paused"
