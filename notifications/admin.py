"""Webhooks, their delivery log and flag triggers in Django admin.

A webhook's secret is write-only (a preview is shown); a trigger's secret is shown once, in
the message after it is created, and revoking is an action (a revoked trigger stays listed).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from flags.models import FlagChange
from llmhub.admin_saving import changed_columns
from notifications.models import FlagTrigger, Webhook, WebhookDelivery
from notifications.services import trigger_create, trigger_revoke

MIN_SECRET_LENGTH = 16


class NamesField(forms.Field):
    """A JSON list of names, typed one per line or comma-separated."""

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:
        text = str(value or "")
        names = [name.strip() for chunk in text.splitlines() for name in chunk.split(",")]
        return sorted({name for name in names if name})

    def has_changed(self, initial: Any, data: Any) -> bool:
        return self.to_python(self.prepare_value(initial)) != self.to_python(data)


class WebhookForm(forms.ModelForm):
    secret = forms.CharField(
        required=False,
        strip=True,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=(
            f"Signing secret (at least {MIN_SECRET_LENGTH} characters), write-only: leave empty "
            "to keep the stored one. The receiver verifies X-LLMHub-Signature with it."
        ),
    )
    actions = forms.MultipleChoiceField(
        choices=FlagChange.Action.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every action.",
    )
    sources = forms.MultipleChoiceField(
        choices=FlagChange.Source.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every source. 'schedule' is the rollout plan's decisions.",
    )
    flags = NamesField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Flag names, one per line; empty: every flag.",
    )

    class Meta:
        model = Webhook
        fields = ("name", "url", "secret", "format", "actions", "sources", "flags", "active")

    def clean_secret(self) -> str:
        secret: str = self.cleaned_data.get("secret", "")
        if not self.instance.pk and not secret:
            raise forms.ValidationError("Enter a signing secret.")
        if secret and len(secret) < MIN_SECRET_LENGTH:
            raise forms.ValidationError(f"Use at least {MIN_SECRET_LENGTH} characters.")
        return secret

    def clean_actions(self) -> list[str]:
        return sorted(self.cleaned_data.get("actions") or [])

    def clean_sources(self) -> list[str]:
        return sorted(self.cleaned_data.get("sources") or [])


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookForm
    list_display = ("name", "url", "format", "active", "secret_preview", "updated_at")
    list_filter = ("active", "format")
    search_fields = ("name", "url")
    readonly_fields = ("secret_preview", "deliveries_link", "created_at", "updated_at")

    @admin.display(description="Deliveries")
    def deliveries_link(self, obj: Webhook) -> str:
        if obj.pk is None:
            return "-"
        url = reverse("admin:notifications_webhookdelivery_changelist")
        return format_html('<a href="{}?webhook__id__exact={}">The delivery log</a>', url, obj.pk)

    def save_model(self, request: HttpRequest, obj: Webhook, form: Any, change: bool) -> None:
        secret = form.cleaned_data.get("secret", "")
        if secret:
            obj.secret = secret
        if not change:
            obj.save()
            return
        columns = changed_columns(obj, form)
        if secret:
            columns = [c for c in columns if c != "secret"] + ["encrypted_secret", "secret_preview"]
        if columns:
            obj.save(update_fields=[*columns, "updated_at"])


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: read-only (the rows are written by the deliveries themselves)."""

    list_display = (
        "created_at",
        "webhook",
        "event",
        "flag_name",
        "status",
        "attempts",
        "response_code",
        "duration_ms",
        "short_error",
    )
    list_filter = ("status", "webhook", "event")
    search_fields = ("flag_name", "delivery_id", "error")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Error")
    def short_error(self, obj: WebhookDelivery) -> str:
        return obj.error[:80]


class FlagTriggerCreateForm(forms.ModelForm):
    class Meta:
        model = FlagTrigger
        fields = ("flag", "label")


@admin.register(FlagTrigger)
class FlagTriggerAdmin(admin.ModelAdmin):
    list_display = (
        "label",
        "flag",
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    search_fields = ("label", "prefix", "flag__name")
    actions = ("revoke_triggers",)
    readonly_fields = ("flag", "prefix", "created_by", "created_at", "last_used_at", "revoked_at")

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = FlagTriggerCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("flag", "label")
        return ("label", *self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: FlagTrigger, form: Any, change: bool) -> None:
        if change:
            columns = changed_columns(obj, form)
            if columns:
                obj.save(update_fields=columns)
            return
        trigger, raw = trigger_create(flag=obj.flag, label=obj.label, created_by=request.user)
        obj.pk, obj.prefix, obj.secret_hash = trigger.pk, trigger.prefix, trigger.secret_hash
        url = request.build_absolute_uri(reverse("notifications:trigger", args=[raw]))
        messages.warning(
            request,
            f"The trigger URL for {obj.label!r} is {url} — copy it now: its secret is not "
            f"stored and will never be shown again. POST to it to disable {obj.flag.name}.",
        )

    @admin.action(description="Revoke the selected triggers")
    def revoke_triggers(self, request: HttpRequest, queryset: QuerySet[FlagTrigger]) -> None:
        revoked = sum(trigger_revoke(trigger=trigger) for trigger in queryset)
        self.message_user(request, f"Revoked {revoked} trigger(s).", messages.SUCCESS)
