"""API tokens in Django admin: create (the secret is shown once, in a message), list, revoke."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from llmhub.actors import Actor
from llmhub.api.tokens.models import ApiToken
from llmhub.api.tokens.services import token_cache, token_create, token_revoke


class ApiTokenCreateForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ("user", "label", "scope")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("label", "prefix", "user", "scope", "created_at", "last_used_at", "revoked_at")
    list_filter = ("scope", "revoked_at")
    search_fields = ("label", "prefix", "user__username")
    actions = ("revoke_tokens",)
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = ApiTokenCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None:  # a token's owner, scope and secret never change: revoke and recreate
            return ("user", "scope", *self.readonly_fields)
        return ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("user", "label", "scope")
        return ("label", "user", "scope", *self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        token, raw = token_create(
            username=obj.user.get_username(),
            scope=obj.scope,
            label=obj.label,
            actor=Actor.for_user(request.user),
        )
        obj.pk = token.pk
        obj.prefix = token.prefix
        messages.warning(
            request,
            f"The token for {obj.label!r} is {raw} — copy it now: it is not stored and will "
            "never be shown again.",
        )

    def delete_model(self, request: HttpRequest, obj: ApiToken) -> None:
        token_cache.forget(obj.key_hash)  # this process at once; others within the cache TTL
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            token_cache.forget(token.key_hash)
        super().delete_queryset(request, queryset)

    @admin.action(description="Revoke the selected tokens")
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        actor = Actor.for_user(request.user)
        revoked = sum(token_revoke(token=token, actor=actor) for token in queryset)
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)
