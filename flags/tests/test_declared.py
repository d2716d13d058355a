"""Flags declared through FEATURE_* settings: created when missing, never overwritten."""

from __future__ import annotations

import pytest

from flags import services
from flags.declared import ensure_declared_flags
from flags.models import Flag, FlagChange
from llmhub.actors import Actor

pytestmark = pytest.mark.django_db
DECLARED = {
    "unified_llm_hub": {"enabled": True, "rollout_percentage": 10, "whitelist_users": ["amy"]}
}


def test_missing__created_with_declared_values(settings) -> None:
    settings.FLAGS_DECLARED = DECLARED
    assert ensure_declared_flags() == ["unified_llm_hub"]
    flag = Flag.objects.get(name="unified_llm_hub")
    assert (flag.enabled, flag.rollout_percentage, flag.whitelist_users) == (True, 10, ["amy"])
    assert FlagChange.objects.get().source == "settings"


def test_existing__never_overwritten(settings) -> None:
    settings.FLAGS_DECLARED = DECLARED
    ensure_declared_flags()
    services.flag_set_rollout(
        name="unified_llm_hub", percentage=60, actor=Actor.system("admin"), source="admin"
    )
    assert ensure_declared_flags() == []
    assert Flag.objects.get(name="unified_llm_hub").rollout_percentage == 60


def test_settings__read_feature_variables(monkeypatch) -> None:
    from llmhub.settings import base

    monkeypatch.setenv("FEATURE_UNIFIED_LLM_HUB", "true")
    monkeypatch.setenv("FEATURE_LLM_HUB_ROLLOUT", "25")
    monkeypatch.setenv("FEATURE_LLM_HUB_WHITELIST", "amy, bob")
    monkeypatch.setenv("FEATURE_MODEL_RECOMMENDATIONS", "false")
    declared = base._declared_flags()
    hub = declared["unified_llm_hub"]
    assert (hub["enabled"], hub["rollout_percentage"], hub["whitelist_users"]) == (
        True,
        25,
        ["amy", "bob"],
    )
    assert declared["model_recommendations"] == {"enabled": False}
    assert "llm_hub_rollout" not in declared


def test_invalid_declaration__logged_not_raised(settings) -> None:
    settings.FLAGS_DECLARED = {"bad": {"rollout_percentage": 500}}
    assert ensure_declared_flags() == []
    assert not Flag.objects.exists()


def test_settings__nothing_declared_without_feature_variables(monkeypatch) -> None:
    import os

    from llmhub.settings import base

    for key in [k for k in os.environ if k.startswith("FEATURE_")]:
        monkeypatch.delenv(key)
    assert base._declared_flags() == {}
