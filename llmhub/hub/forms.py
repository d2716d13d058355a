"""Forms of the hub's pages. They parse and check shape; the services decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms

from llmhub.hub.errors import HubValidationError
from llmhub.hub.models import Provider, ProviderKey, Tier, TierRule
from llmhub.hub.models.tiers import MAX_PRIORITY, glob_validator
from llmhub.hub.secrets import MAX_SECRET_LENGTH

MODEL_STATUS_CHOICES = [("", "Any status"), ("enabled", "Enabled"), ("disabled", "Disabled")]


def add_service_errors(form: forms.Form, error: HubValidationError) -> None:
    """Show a service's refusal on the form: on the field it names, else above the form."""
    for field, messages in error.fields.items():
        form.add_error(field if field in form.fields else None, messages)


def secret_field() -> forms.CharField:
    # Never rendered back into the page, even after an error: the user types it again.
    return forms.CharField(
        label="API key",
        max_length=MAX_SECRET_LENGTH,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )


class ProviderKeyAddForm(forms.Form):
    provider = forms.ModelChoiceField(
        queryset=Provider.objects.filter(enabled=True), to_field_name="slug"
    )
    label = forms.CharField(max_length=100, help_text="e.g. production, staging")
    secret = secret_field()


class ProviderKeyRotateForm(forms.Form):
    key = forms.ModelChoiceField(
        queryset=ProviderKey.objects.select_related("provider"), widget=forms.HiddenInput
    )
    secret = secret_field()


class ProviderKeyDeleteForm(forms.Form):
    key = forms.ModelChoiceField(queryset=ProviderKey.objects.select_related("provider"))


class ModelToggleForm(forms.Form):
    model = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    enabled = forms.TypedChoiceField(
        choices=[("1", "enable"), ("0", "disable")], coerce=lambda value: value == "1"
    )


class TierRuleForm(forms.Form):
    tier = forms.ModelChoiceField(queryset=Tier.objects.all(), to_field_name="slug")
    pattern = forms.CharField(
        max_length=200, validators=[glob_validator], help_text="Glob over model ids: openai/gpt-4*"
    )
    decision = forms.ChoiceField(choices=TierRule.Decision.choices)
    priority = forms.IntegerField(min_value=0, max_value=MAX_PRIORITY, initial=10)
    max_requests_per_day = forms.IntegerField(
        min_value=0, required=False, label="Requests per day", help_text="Empty: unlimited"
    )
    max_context_length = forms.IntegerField(
        min_value=1, required=False, label="Context cap", help_text="Tokens; empty: no cap"
    )


class TierRuleEditForm(TierRuleForm):
    """A rule stays in its tier: both are hidden fields (which also keeps a page of rules from
    querying the tiers once per row)."""

    rule = forms.ModelChoiceField(
        queryset=TierRule.objects.select_related("tier"), widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tier"].widget = forms.HiddenInput()


class TierRuleDeleteForm(forms.Form):
    rule = forms.ModelChoiceField(queryset=TierRule.objects.select_related("tier"))


class AccessCheckForm(forms.Form):
    tier = forms.ModelChoiceField(queryset=Tier.objects.all(), to_field_name="slug")
    model = forms.CharField(
        max_length=200,
        label="Model id",
        help_text="e.g. openai/gpt-4o",
        widget=forms.TextInput(attrs={"list": "catalog-ids", "autocomplete": "off"}),
    )


class CatalogFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search")
    provider = forms.ChoiceField(required=False)
    status = forms.ChoiceField(required=False, choices=MODEL_STATUS_CHOICES)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        providers = Provider.objects.order_by("name").values_list("slug", "name")
        self.fields["provider"].choices = [("", "All providers"), *providers]  # type: ignore[attr-defined]

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {
            name: str(self.cleaned_data.get(name) or "") for name in ("q", "provider", "status")
        }
