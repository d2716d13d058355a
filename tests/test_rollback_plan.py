"""docs/ROLLBACK_PLAN.md cannot rot: its `sh` blocks run exactly as written against a live
server and this test's database, and do what the document says they do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from flags import services
from flags.models import Flag, FlagChange
from llmhub.actors import Actor
from llmhub.api.tokens.services import token_create
from tests.doc_blocks import block, blocks, operator_env, run

ROOT = Path(__file__).resolve().parents[1]
PLAN = ROOT / "docs" / "ROLLBACK_PLAN.md"
pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]
_run = run


def _blocks() -> list[str]:
    return blocks(PLAN)


def _block(containing: str) -> str:
    return block(PLAN, containing)


@pytest.fixture
def env(live_server, django_user_model) -> dict[str, str]:
    services.flag_create(
        name="unified_llm_hub",
        actor=Actor.system("tests"),
        source="command",
        enabled=True,
        rollout_percentage=10,
        whitelist_users=["tester"],
    )
    user = django_user_model.objects.create_superuser("oncall", "oncall@example.com", "pw")
    _, secret = token_create(
        username=user.get_username(), scope="write", label="incident", actor=Actor.system("test")
    )
    return operator_env(live_server.url, secret)


def test_plan__has_the_blocks_this_test_runs() -> None:
    assert len(_blocks()) >= 5


def test_emergency_by_api__then_verification(env: dict[str, str]) -> None:
    _run(_block("/disable"), env)
    assert Flag.objects.get(name="unified_llm_hub").enabled is False
    answer = _run(_block("?user_id=tester"), env)
    assert '"enabled":false' in answer.replace(" ", "")
    assert '"reason":"DISABLED"' in answer.replace(" ", "")
    verification = _run(_block("flags show"), env)
    assert '"enabled": false' in verification and "disable" in verification


def test_emergency_by_shell__then_verification(env: dict[str, str]) -> None:
    _run(_block("flags disable"), env)
    change = FlagChange.objects.filter(flag_name="unified_llm_hub").order_by("-id").first()
    assert (change.action, change.comment) == ("disable", "emergency rollback")
    verification = _run(_block("flags show"), env)
    assert '"enabled": false' in verification
    answer = _run(_block("?user_id=tester"), env)
    assert '"reason":"DISABLED"' in answer.replace(" ", "")


def test_pause_rollout__keeps_switch_on(env: dict[str, str]) -> None:
    _run(_block("rollout paused"), env)
    flag = Flag.objects.get(name="unified_llm_hub")
    assert (flag.enabled, flag.rollout_percentage) == (True, 0)


def test_restore_a_version(env: dict[str, str]) -> None:
    # v1 created at 10 %; v2 50 %; v3 back to 10 %; v4 80 %: the plan restores version 3.
    for percentage in (50, 10, 80):
        services.flag_set_rollout(
            name="unified_llm_hub",
            percentage=percentage,
            actor=Actor.system("tests"),
            source="command",
        )
    _run(_block("flags rollback unified_llm_hub 3"), env)
    flag = Flag.objects.get(name="unified_llm_hub")
    assert (flag.rollout_percentage, flag.version) == (10, 5)
    assert FlagChange.objects.get(flag_name="unified_llm_hub", version=5).action == "rollback"


def test_admin_action_named_in_the_plan_exists() -> None:
    from django.contrib import admin

    flag_admin = admin.site._registry[Flag]
    labels = [flag_admin.get_action(name)[2] for name in flag_admin.actions]
    assert "Disable selected flags (kill switch)" in labels
    assert "Disable selected flags (kill switch)" in PLAN.read_text()


def _form_step() -> str:
    text = PLAN.read_text()
    start = text.index("**A. Django admin**")
    return text[start : text.index("\n\n", start)]


def test_form_step__names_what_the_admin_renders(admin_client: Client) -> None:
    # given the flag's list and change form as an admin sees them
    flag = services.flag_create(
        name="unified_llm_hub", actor=Actor.system("tests"), source="command", enabled=True
    )
    pages = admin_client.get("/admin/flags/flag/").content.decode()
    pages += admin_client.get(f"/admin/flags/flag/{flag.pk}/change/").content.decode()
    # then every control the plan's form step names in italics is there, by that name
    named = re.findall(r"\*([^*]+)\*", _form_step().replace("**A. Django admin**", ""))
    assert {"Go", "Enabled", "Who gets it", "Save"} <= set(named)
    for label in named:
        assert re.search(rf'(>\s*{re.escape(label)}\s*<)|(value="{re.escape(label)}")', pages), (
            label
        )
