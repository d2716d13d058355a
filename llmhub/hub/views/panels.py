"""The data of each tab (and of its old page): selectors in, template context out."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest

from llmhub.hub.errors import TierNotFound
from llmhub.hub.forms import (
    AccessCheckForm,
    CatalogFilterForm,
    ProviderKeyAddForm,
    ProviderKeyRotateForm,
    TierRuleEditForm,
    TierRuleForm,
)
from llmhub.hub.selectors import (
    check_access,
    llm_model_list,
    provider_key_list,
    provider_list,
    tier_list,
    tier_rule_list,
)
from llmhub.hub.usage import usage_summary

Bound = dict[str, forms.Form]


def _opened(request: HttpRequest, param: str, bound: Bound, prefix: str) -> set[str]:
    """Rows whose inline form is shown: the one a link asked for (`?rotate=3`, `?edit=7`) and
    any that failed validation. Rendering one form per row on every load would cost more than
    the rest of the page."""
    return {request.GET.get(param, "")} | {
        name.removeprefix(prefix) for name in bound if name.startswith(prefix)
    }


def keys_panel(request: HttpRequest, bound: Bound) -> dict[str, Any]:
    opened = _opened(request, "rotate", bound, "key_rotate:")
    keys = [
        (key, _rotate_form(key.pk, bound) if str(key.pk) in opened else None)
        for key in provider_key_list()
    ]
    return {
        "providers": list(provider_list()),
        "key_rows": keys,
        "key_add_form": bound.get("key_add") or ProviderKeyAddForm(),
        "key_orphan_errors": _orphan_errors(bound, "key_rotate:", {str(key.pk) for key, _ in keys}),
    }


def _rotate_form(pk: int, bound: Bound) -> forms.Form:
    return bound.get(f"key_rotate:{pk}") or ProviderKeyRotateForm(
        initial={"key": pk}, auto_id=f"id_rotate{pk}_%s"
    )


def _orphan_errors(bound: Bound, prefix: str, shown: set[str]) -> list[str]:
    """Errors of a row form whose row is gone (deleted meanwhile): shown above the table."""
    errors: list[str] = []
    for name, form in bound.items():
        if name.startswith(prefix) and name.removeprefix(prefix) not in shown:
            errors.extend(str(error) for errors_ in form.errors.values() for error in errors_)
    return errors


def models_panel(request: HttpRequest, bound: Bound) -> dict[str, Any]:
    filter_form = CatalogFilterForm(request.GET or None)
    filters = filter_form.filters()
    models = list(
        llm_model_list(
            search=filters.get("q", ""),
            provider=filters.get("provider", ""),
            status=filters.get("status", ""),
        )
    )
    return {
        "filter_form": filter_form,
        "models": models,
        "filtered": any(filters.values()),
        "filter_query": request.GET.urlencode(),
    }


def rules_panel(request: HttpRequest, bound: Bound) -> dict[str, Any]:
    tiers = list(tier_list())
    rules = list(tier_rule_list())
    shown = {str(rule.pk) for rule in rules}
    opened = _opened(request, "edit", bound, "rule_edit:")
    return {
        "tiers": [
            (
                tier,
                [
                    (rule, _rule_form(rule, bound) if str(rule.pk) in opened else None)
                    for rule in rules
                    if rule.tier_id == tier.pk
                ],
            )
            for tier in tiers
        ],
        "rule_form": bound.get("rule_create") or TierRuleForm(auto_id="id_new_rule_%s"),
        "rule_orphan_errors": _orphan_errors(bound, "rule_edit:", shown),
        **access_checker(request),
    }


def _rule_form(rule: Any, bound: Bound) -> forms.Form:
    return bound.get(f"rule_edit:{rule.pk}") or TierRuleEditForm(
        initial={
            "rule": rule.pk,
            "tier": rule.tier.slug,
            "pattern": rule.pattern,
            "decision": rule.decision,
            "priority": rule.priority,
            "max_requests_per_day": rule.max_requests_per_day,
            "max_context_length": rule.max_context_length,
        },
        auto_id=f"id_rule{rule.pk}_%s",
    )


def access_checker(request: HttpRequest) -> dict[str, Any]:
    """The "can tier X use model Y?" form; it answers when the query string asks."""
    asked = "check-tier" in request.GET or "check-model" in request.GET
    form = AccessCheckForm(request.GET if asked else None, prefix="check")
    decision = None
    if asked and form.is_valid():
        try:
            decision = check_access(form.cleaned_data["tier"], form.cleaned_data["model"].strip())
        except TierNotFound as error:
            form.add_error("tier", error.message)
    return {
        "check_form": form,
        "decision": decision,
        "catalog_ids": list(llm_model_list().values_list("model_id", flat=True)),
    }


def usage_panel(request: HttpRequest, bound: Bound) -> dict[str, Any]:
    return {"usage": usage_summary(days=7)}


PANELS = {
    "keys": keys_panel,
    "models": models_panel,
    "rules": rules_panel,
    "usage": usage_panel,
}


def all_panels(request: HttpRequest, bound: Bound, tabs: list[str]) -> dict[str, Any]:
    """The data of the given tabs (those the user may see; the others are not even read)."""
    context: dict[str, Any] = {}
    for tab in tabs:
        context.update(PANELS[tab](request, bound))
    return context
