"""Every read of the hub's domain."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from llmhub.hub.access import AccessDecision, AccessRule, decide_access
from llmhub.hub.errors import TierNotFound
from llmhub.hub.models import LLMModel, Provider, ProviderKey, Tier, TierRule

MODEL_STATUSES = ("enabled", "disabled")


def provider_list(*, enabled_only: bool = False) -> QuerySet[Provider]:
    providers = Provider.objects.annotate(
        key_count=Count("keys", distinct=True),
        model_count=Count("models", distinct=True),
        enabled_model_count=Count("models", filter=Q(models__enabled=True), distinct=True),
    ).order_by("name")  # Meta.ordering does not apply to aggregate queries
    return providers.filter(enabled=True) if enabled_only else providers


def provider_key_list(*, provider: Provider | None = None) -> QuerySet[ProviderKey]:
    keys = ProviderKey.objects.select_related("provider", "added_by")
    return keys.filter(provider=provider) if provider is not None else keys


def provider_key_get(*, key_id: int) -> ProviderKey | None:
    return provider_key_list().filter(pk=key_id).first()


def llm_model_list(*, search: str = "", provider: str = "", status: str = "") -> QuerySet[LLMModel]:
    """The catalog, filtered: `search` over id and name, `provider` slug, `status` of
    MODEL_STATUSES (anything else: no filter)."""
    models = LLMModel.objects.select_related("provider")
    if search:
        models = models.filter(Q(model_id__icontains=search) | Q(display_name__icontains=search))
    if provider:
        models = models.filter(provider__slug=provider)
    if status in MODEL_STATUSES:
        models = models.filter(enabled=status == "enabled")
    return models


def llm_model_get(*, pk: int) -> LLMModel | None:
    return LLMModel.objects.select_related("provider").filter(pk=pk).first()


def tier_list() -> QuerySet[Tier]:
    return Tier.objects.annotate(rule_count=Count("rules")).order_by("order")


def tier_get(*, slug: str) -> Tier:
    tier = Tier.objects.filter(slug=slug).first()
    if tier is None:
        raise TierNotFound(slug)
    return tier


def tier_rule_list(*, tier: Tier | None = None) -> QuerySet[TierRule]:
    rules = TierRule.objects.select_related("tier")
    return rules.filter(tier=tier) if tier is not None else rules


def tier_rule_get(*, rule_id: int) -> TierRule | None:
    return tier_rule_list().filter(pk=rule_id).first()


def access_rules(*, tier: Tier) -> list[AccessRule]:
    return [
        AccessRule(
            pattern=rule.pattern,
            decision=rule.decision,
            priority=rule.priority,
            max_requests_per_day=rule.max_requests_per_day,
            max_context_length=rule.max_context_length,
            rule_id=rule.pk,
        )
        for rule in TierRule.objects.filter(tier=tier)
    ]


def check_access(tier: Tier | str, model_id: str) -> AccessDecision:
    """May `tier` use `model_id`? Raises TierNotFound for an unknown tier slug."""
    tier_obj = tier if isinstance(tier, Tier) else tier_get(slug=tier)
    return decide_access(tier_obj.slug, model_id, access_rules(tier=tier_obj))
