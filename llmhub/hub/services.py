"""Every write to the hub's domain. Each service validates (refusing with HubValidationError
and changing nothing), saves, and logs what changed: keys appear in logs only as previews."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from llmhub import crypto
from llmhub.hub.errors import HubValidationError
from llmhub.hub.models import LLMModel, Provider, ProviderKey, Tier, TierRule
from llmhub.hub.secrets import secret_problems

logger = logging.getLogger("llmhub.hub")

RULE_FIELDS = ("pattern", "decision", "priority", "max_requests_per_day", "max_context_length")
# An update may also move a rule to another tier (admin's rule screen offers it).
RULE_UPDATE_FIELDS = ("tier", *RULE_FIELDS)


def _actor_name(actor: Any) -> str:
    return str(actor.get_username()) if actor is not None else "system"


def _full_clean(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise HubValidationError(exc.message_dict) from None


def _save(instance: models.Model) -> None:
    """Save; a uniqueness race lost after validation passed becomes a validation error."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        raise HubValidationError({"__all__": ["This conflicts with an existing entry."]}) from None


def _check_secret(provider: Provider, secret: str) -> str:
    secret = secret.strip()
    problems = secret_problems(secret, provider_name=provider.name, hint=provider.key_format_hint)
    if problems:
        raise HubValidationError({"secret": problems})
    return secret


def provider_key_add(*, provider: Provider, label: str, secret: str, actor: Any) -> ProviderKey:
    key = ProviderKey(provider=provider, label=label.strip(), added_by=actor)
    key.secret = _check_secret(provider, secret)
    _full_clean(key, exclude=["added_by"])
    _save(key)
    logger.info(
        "hub: provider key added",
        extra={
            "provider": provider.slug,
            "label": key.label,
            "preview": key.preview,
            "actor": _actor_name(actor),
        },
    )
    return key


def provider_key_rotate(*, key: ProviderKey, secret: str, actor: Any) -> ProviderKey:
    """Replace the key's secret with a new one (the provider issued a new key)."""
    old_preview = key.preview
    key.secret = _check_secret(key.provider, secret)
    key.rotated_at = timezone.now()
    _save(key)
    logger.info(
        "hub: provider key rotated",
        extra={
            "provider": key.provider.slug,
            "label": key.label,
            "preview": key.preview,
            "old_preview": old_preview,
            "actor": _actor_name(actor),
        },
    )
    return key


def provider_key_delete(*, key: ProviderKey, actor: Any) -> None:
    details = {"provider": key.provider.slug, "label": key.label, "preview": key.preview}
    key.delete()
    logger.info("hub: provider key deleted", extra={**details, "actor": _actor_name(actor)})


def provider_keys_reencrypt() -> int:
    """Re-encrypt every stored secret with the first configured key; returns how many.

    All or nothing: a secret no configured key can read stops the run before anything changes.
    """
    with transaction.atomic():
        keys = list(ProviderKey.objects.select_for_update().order_by("pk"))
        for key in keys:
            key.encrypted_secret = crypto.reencrypt(key.encrypted_secret)
        ProviderKey.objects.bulk_update(keys, ["encrypted_secret"], batch_size=500)
    logger.info("hub: provider keys re-encrypted", extra={"count": len(keys)})
    return len(keys)


def llm_model_set_enabled(*, model: LLMModel, enabled: bool, actor: Any) -> LLMModel:
    if model.enabled == enabled:
        return model
    model.enabled = enabled
    model.save(update_fields=["enabled", "updated_at"])
    logger.info(
        "hub: model %s",
        "enabled" if enabled else "disabled",
        extra={"model": model.model_id, "actor": _actor_name(actor)},
    )
    return model


def _rule_values(changes: dict[str, Any], allowed: tuple[str, ...] = RULE_FIELDS) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise HubValidationError({name: ["Unknown field."] for name in unknown})
    values = dict(changes)
    if isinstance(values.get("pattern"), str):
        values["pattern"] = values["pattern"].strip()
    return values


def tier_rule_create(*, tier: Tier, actor: Any, **values: Any) -> TierRule:
    rule = TierRule(tier=tier, **_rule_values(values))
    _full_clean(rule)
    _save(rule)
    _log_rule("created", rule, actor)
    return rule


def tier_rule_update(*, rule: TierRule, actor: Any, **changes: Any) -> TierRule:
    for field, value in _rule_values(changes, RULE_UPDATE_FIELDS).items():
        setattr(rule, field, value)
    _full_clean(rule)
    _save(rule)
    _log_rule("updated", rule, actor)
    return rule


def tier_rule_delete(*, rule: TierRule, actor: Any) -> None:
    rule.delete()
    _log_rule("deleted", rule, actor)


def _log_rule(what: str, rule: TierRule, actor: Any) -> None:
    logger.info(
        "hub: tier rule %s",
        what,
        extra={
            "tier": rule.tier.slug,
            "pattern": rule.pattern,
            "decision": rule.decision,
            "priority": rule.priority,
            "actor": _actor_name(actor),
        },
    )
