"""Admin screens of the hub's domain. Keys show only their preview; the secret field is
write-only (a password input that never renders its value), and key and rule writes go through
the same services as the pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from llmhub.admin_saving import SaveChangedFieldsMixin, changed_columns
from llmhub.hub import services
from llmhub.hub.errors import HubValidationError
from llmhub.hub.models import LLMModel, Provider, ProviderKey, Tier, TierRule
from llmhub.hub.secrets import MAX_SECRET_LENGTH, secret_problems


class ProviderKeyAdminForm(forms.ModelForm):
    secret = forms.CharField(
        label="API key",
        required=False,
        max_length=MAX_SECRET_LENGTH,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Write-only. Leave empty to keep the stored key; type a new one to rotate it.",
    )

    class Meta:
        model = ProviderKey
        fields = ["provider", "label"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        secret, provider = data.get("secret", ""), data.get("provider")
        if not self.instance.pk and not secret:
            self.add_error("secret", "Enter the API key.")
        elif secret and provider is not None:
            problems = secret_problems(
                secret, provider_name=provider.name, hint=provider.key_format_hint
            )
            if problems:
                self.add_error("secret", problems)
        return data


@admin.register(ProviderKey)
class ProviderKeyAdmin(admin.ModelAdmin):
    form = ProviderKeyAdminForm
    list_display = ("label", "provider", "preview", "added_by", "added_at", "rotated_at")
    list_filter = ("provider",)
    search_fields = ("label", "provider__name")
    readonly_fields = ("preview", "added_by", "added_at", "rotated_at")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        secret = form.cleaned_data.get("secret", "")
        try:
            if not change:
                key = services.provider_key_add(
                    provider=obj.provider, label=obj.label, secret=secret, actor=request.user
                )
                obj.pk, obj.encrypted_secret, obj.preview = (
                    key.pk,
                    key.encrypted_secret,
                    key.preview,
                )
                return
            columns = changed_columns(obj, form)
            if columns:
                obj.save(update_fields=columns)
            if secret:  # an empty secret box keeps the stored key
                services.provider_key_rotate(key=obj, secret=secret, actor=request.user)
        except HubValidationError as error:  # a race after the form's checks
            raise ValidationError(error.message) from None

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.provider_key_delete(key=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ProviderKey]) -> None:
        for key in queryset:
            services.provider_key_delete(key=key, actor=request.user)


class ProviderKeyInline(admin.TabularInline):
    """Keys of a provider, read-only (added and rotated on the key's own screen)."""

    model = ProviderKey
    extra = 0
    fields = ("label", "preview", "added_by", "added_at", "rotated_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Provider)
class ProviderAdmin(SaveChangedFieldsMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "base_url", "key_format_hint", "enabled")
    list_filter = ("enabled",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [ProviderKeyInline]


@admin.register(LLMModel)
class LLMModelAdmin(SaveChangedFieldsMixin, admin.ModelAdmin):
    list_display = (
        "model_id",
        "display_name",
        "provider",
        "context_window",
        "input_price_per_million",
        "output_price_per_million",
        "enabled",
    )
    list_filter = ("enabled", "provider")
    search_fields = ("model_id", "display_name")
    actions = ("enable_models", "disable_models")

    @admin.action(description="Enable the selected models")
    def enable_models(self, request: HttpRequest, queryset: QuerySet[LLMModel]) -> None:
        for model in queryset:
            services.llm_model_set_enabled(model=model, enabled=True, actor=request.user)

    @admin.action(description="Disable the selected models")
    def disable_models(self, request: HttpRequest, queryset: QuerySet[LLMModel]) -> None:
        for model in queryset:
            services.llm_model_set_enabled(model=model, enabled=False, actor=request.user)


class TierRuleInline(admin.TabularInline):
    model = TierRule
    extra = 0
    fields = services.RULE_FIELDS


def _rule_save(request: HttpRequest, rule: TierRule, changed: list[str]) -> TierRule:
    """A rule as the admin form left it, written by the hub's services (as the tier page's
    forms are): created if new, else updated in the fields the user changed, if any."""
    try:
        if rule.pk is None:
            values = {name: getattr(rule, name) for name in services.RULE_FIELDS}
            return services.tier_rule_create(tier=rule.tier, actor=request.user, **values)
        changes = {name: getattr(rule, name) for name in changed}
        if changes:
            services.tier_rule_update(rule=rule, actor=request.user, **changes)
        return rule
    except HubValidationError as error:  # a race after the form's checks
        raise ValidationError(error.message) from None


@admin.register(Tier)
class TierAdmin(SaveChangedFieldsMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "order", "description")
    inlines = [TierRuleInline]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not TierRule:
            super().save_formset(request, form, formset, change)
            return
        formset.save(commit=False)  # sorts the rows into new, changed and deleted; writes none
        for rule in formset.deleted_objects:
            services.tier_rule_delete(rule=rule, actor=request.user)
        for rule in formset.new_objects:
            _rule_save(request, rule, [])
        for rule, changed in formset.changed_objects:
            _rule_save(request, rule, [name for name in changed if name in services.RULE_FIELDS])


@admin.register(TierRule)
class TierRuleAdmin(admin.ModelAdmin):
    list_display = ("tier", *services.RULE_FIELDS)
    list_filter = ("tier", "decision")
    search_fields = ("pattern",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        changed = [name for name in form.changed_data if name in services.RULE_UPDATE_FIELDS]
        obj.pk = _rule_save(request, obj, changed).pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.tier_rule_delete(rule=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TierRule]) -> None:
        for rule in queryset:
            services.tier_rule_delete(rule=rule, actor=request.user)


# Django's user and group admins, saving only what changed; registered with this site here.
from llmhub import admin_auth  # noqa: E402, F401
