"""manage.py seed_test_data: the documented data, idempotent, extensible."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from llmhub import seeding
from llmhub.hub.models import LLMModel, Provider, Tier, TierRule
from llmhub.hub.seed.data import TIER_RULES

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_test_data", "--only", "catalog,tiers", *args, stdout=out)
    return out.getvalue()


def counts() -> tuple[int, int, int, int]:
    return (
        Provider.objects.count(),
        LLMModel.objects.count(),
        Tier.objects.count(),
        TierRule.objects.count(),
    )


def test_seed__loads_providers_models_tiers_and_design_rules() -> None:
    run()
    assert counts() == (7, 30, 5, 21)
    assert list(Tier.objects.values_list("slug", flat=True)) == [
        "free",
        "trial",
        "starter",
        "professional",
        "enterprise",
    ]
    assert all(m.model_id.startswith(f"{m.provider.slug}/") for m in LLMModel.objects.all())
    stored = set(
        TierRule.objects.values_list(
            "tier__slug",
            "pattern",
            "decision",
            "priority",
            "max_requests_per_day",
            "max_context_length",
        )
    )
    assert stored == {tuple(rule) for rule in TIER_RULES}


def test_seed__twice__changes_nothing_and_keeps_admin_edits() -> None:
    run()
    LLMModel.objects.filter(model_id="openai/gpt-4o").update(enabled=False)
    TierRule.objects.filter(tier__slug="free", pattern="*").update(priority=1)
    output = run()
    assert counts() == (7, 30, 5, 21)
    assert "0 created, 30 already there" in output
    assert LLMModel.objects.get(model_id="openai/gpt-4o").enabled is False
    assert TierRule.objects.get(tier__slug="free", pattern="*").priority == 1


def test_seed__only__runs_the_named_seeders() -> None:
    run("--only", "tiers")
    assert counts() == (0, 0, 5, 21)


def test_seed__unknown_seeder__is_refused() -> None:
    with pytest.raises(CommandError, match="Unknown seeder"):
        run("--only", "unicorns")


def test_seed__registered_seeder__runs_after_the_defaults() -> None:
    order: list[str] = []

    def extra(run: seeding.SeedRun) -> str:
        order.append(str(Tier.objects.count()))
        return "extra ok"

    seeding.register_seeder("extra", extra)
    try:
        output = run("--only", "catalog,tiers,extra")
    finally:
        seeding._registry.pop("extra")
    assert order == ["5"] and "extra: extra ok" in output
