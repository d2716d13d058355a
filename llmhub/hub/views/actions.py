"""POST handlers shared by the hub's tabs and the old pages.

Each parses one form, calls one service and returns an Outcome: a success message and the
telemetry action to record, or the bound forms (with what was typed and what is wrong) to show
again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import HttpRequest

from llmhub.hub import services
from llmhub.hub.errors import HubValidationError
from llmhub.hub.forms import (
    ModelToggleForm,
    ProviderKeyAddForm,
    ProviderKeyDeleteForm,
    ProviderKeyRotateForm,
    TierRuleDeleteForm,
    TierRuleEditForm,
    TierRuleForm,
    add_service_errors,
)
from llmhub.hub.selectors import llm_model_get


@dataclass
class Outcome:
    message: str = ""
    action: str = ""  # telemetry user_action, e.g. "key_added"; "" when nothing was done
    details: dict[str, Any] = field(default_factory=dict)
    bound: dict[str, forms.Form] = field(default_factory=dict)
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.bound and not self.error


def _row_id(request: HttpRequest, name: str) -> str:
    value = request.POST.get(name, "")
    return value if value.isdigit() else "x"


def _run(form: forms.Form, name: str, call: Callable[[dict[str, Any]], Outcome]) -> Outcome:
    if form.is_valid():
        try:
            return call(form.cleaned_data)
        except HubValidationError as error:
            add_service_errors(form, error)
    return Outcome(bound={name: form})


def key_add(request: HttpRequest) -> Outcome:
    def call(data: dict[str, Any]) -> Outcome:
        key = services.provider_key_add(
            provider=data["provider"],
            label=data["label"],
            secret=data["secret"],
            actor=request.user,
        )
        return Outcome(
            message=f"Key “{key.label}” added for {key.provider.name}: {key.preview}",
            action="key_added",
            details={"provider": key.provider.slug, "key_id": key.pk},
        )

    return _run(ProviderKeyAddForm(request.POST), "key_add", call)


def key_rotate(request: HttpRequest) -> Outcome:
    def call(data: dict[str, Any]) -> Outcome:
        key = services.provider_key_rotate(
            key=data["key"], secret=data["secret"], actor=request.user
        )
        return Outcome(
            message=f"Key “{key.label}” rotated: now {key.preview}",
            action="key_rotated",
            details={"provider": key.provider.slug, "key_id": key.pk},
        )

    row = _row_id(request, "key")
    form = ProviderKeyRotateForm(request.POST, auto_id=f"id_rotate{row}_%s")
    return _run(form, f"key_rotate:{row}", call)


def key_delete(request: HttpRequest) -> Outcome:
    form = ProviderKeyDeleteForm(request.POST)
    if not form.is_valid():
        return Outcome(error="That key no longer exists.")
    key = form.cleaned_data["key"]
    details = {"provider": key.provider.slug, "key_id": key.pk}
    services.provider_key_delete(key=key, actor=request.user)
    return Outcome(message=f"Key “{key.label}” deleted.", action="key_deleted", details=details)


def model_toggle(request: HttpRequest) -> Outcome:
    form = ModelToggleForm(request.POST)
    model = llm_model_get(pk=form.cleaned_data["model"]) if form.is_valid() else None
    if model is None:
        return Outcome(error="That model no longer exists.")
    enabled = form.cleaned_data["enabled"]
    services.llm_model_set_enabled(model=model, enabled=enabled, actor=request.user)
    state = "enabled" if enabled else "disabled"
    return Outcome(
        message=f"{model.display_name} ({model.model_id}) {state}.",
        action="model_enabled" if enabled else "model_disabled",
        details={"model": model.model_id},
    )


def rule_create(request: HttpRequest) -> Outcome:
    def call(data: dict[str, Any]) -> Outcome:
        rule = services.tier_rule_create(
            tier=data["tier"], actor=request.user, **_rule_values(data)
        )
        return _rule_outcome("created", "rule_created", rule)

    return _run(TierRuleForm(request.POST, auto_id="id_new_rule_%s"), "rule_create", call)


def rule_update(request: HttpRequest) -> Outcome:
    def call(data: dict[str, Any]) -> Outcome:
        rule = data["rule"]
        if data["tier"] != rule.tier:
            raise HubValidationError({"tier": ["A rule stays in its tier; create a new one."]})
        values = _rule_values(data)
        if all(getattr(rule, name) == value for name, value in values.items()):
            # Saved as it was: nothing to store, record or claim.
            return _rule_outcome("unchanged", "", rule)
        rule = services.tier_rule_update(rule=rule, actor=request.user, **values)
        return _rule_outcome("updated", "rule_updated", rule)

    row = _row_id(request, "rule")
    form = TierRuleEditForm(request.POST, auto_id=f"id_rule{row}_%s")
    return _run(form, f"rule_edit:{row}", call)


def rule_delete(request: HttpRequest) -> Outcome:
    form = TierRuleDeleteForm(request.POST)
    if not form.is_valid():
        return Outcome(error="That rule no longer exists.")
    rule = form.cleaned_data["rule"]
    services.tier_rule_delete(rule=rule, actor=request.user)
    return _rule_outcome("deleted", "rule_deleted", rule)


def _rule_values(data: dict[str, Any]) -> dict[str, Any]:
    return {name: data[name] for name in services.RULE_FIELDS}


def _rule_outcome(what: str, action: str, rule: Any) -> Outcome:
    said = ": nothing changed" if what == "unchanged" else f" {what}"
    return Outcome(
        message=f"Rule {rule.pattern} → {rule.decision} for {rule.tier.name}{said}.",
        action=action,
        details={"tier": rule.tier.slug, "pattern": rule.pattern, "decision": rule.decision},
    )


Handler = Callable[[HttpRequest], Outcome]

# Which POST actions each tab (and its old page) accepts.
HANDLERS: dict[str, dict[str, Handler]] = {
    "keys": {"add": key_add, "rotate": key_rotate, "delete": key_delete},
    "models": {"toggle": model_toggle},
    "rules": {"create": rule_create, "update": rule_update, "delete": rule_delete},
    "usage": {},
}


def handle(tab: str, request: HttpRequest) -> Outcome:
    handler = HANDLERS[tab].get(request.POST.get("action", ""))
    if handler is None:
        return Outcome(error="Unknown action.")
    return handler(request)
