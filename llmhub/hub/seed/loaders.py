"""Seeders for the hub's domain. Each creates what is missing and never overwrites what exists
(an admin's edits survive a re-run), and returns a one-line summary."""

from __future__ import annotations

from django.db import transaction

from llmhub.hub.models import LLMModel, Provider, Tier, TierRule
from llmhub.hub.seed.data import MODELS, PROVIDERS, TIER_RULES, TIERS, price
from llmhub.seeding import SeedRun, Tally


def _summary(tallies: list[Tally]) -> str:
    return "; ".join(tally.line() for tally in tallies)


def seed_catalog() -> str:
    return _summary(catalog_tallies())


def seed_tiers() -> str:
    return _summary(tier_tallies())


def seed_catalog_run(run: SeedRun) -> list[Tally]:
    return catalog_tallies()


def seed_tiers_run(run: SeedRun) -> list[Tally]:
    return tier_tallies()


@transaction.atomic
def catalog_tallies() -> list[Tally]:
    providers: dict[str, Provider] = {}
    created_providers = 0
    for row in PROVIDERS:
        provider, created = Provider.objects.get_or_create(
            slug=row.slug,
            defaults={
                "name": row.name,
                "base_url": row.base_url,
                "key_format_hint": row.key_format_hint,
            },
        )
        providers[row.slug] = provider
        created_providers += created
    created_models = 0
    for model in MODELS:
        _, created = LLMModel.objects.get_or_create(
            model_id=model.model_id,
            defaults={
                "provider": providers[model.model_id.split("/", 1)[0]],
                "display_name": model.display_name,
                "context_window": model.context_window,
                "input_price_per_million": price(model.input_price),
                "output_price_per_million": price(model.output_price),
                "enabled": model.enabled,
            },
        )
        created_models += created
    return [
        Tally("providers", created_providers, len(PROVIDERS) - created_providers),
        Tally("models", created_models, len(MODELS) - created_models),
    ]


@transaction.atomic
def tier_tallies() -> list[Tally]:
    tiers: dict[str, Tier] = {}
    created_tiers = 0
    for row in TIERS:
        tier, created = Tier.objects.get_or_create(
            slug=row.slug,
            defaults={"name": row.name, "order": row.order, "description": row.description},
        )
        tiers[row.slug] = tier
        created_tiers += created
    created_rules = 0
    for rule in TIER_RULES:
        _, created = TierRule.objects.get_or_create(
            tier=tiers[rule.tier],
            pattern=rule.pattern,
            defaults={
                "decision": rule.decision,
                "priority": rule.priority,
                "max_requests_per_day": rule.max_requests_per_day,
                "max_context_length": rule.max_context_length,
            },
        )
        created_rules += created
    return [
        Tally("tiers", created_tiers, len(TIERS) - created_tiers),
        Tally("tier rules", created_rules, len(TIER_RULES) - created_rules),
    ]
