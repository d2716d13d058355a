"""Flag management in Django admin. Every edit goes through `flags.services`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse

from flags import services
from flags.admin_forms import FlagAdminForm, RollbackForm, RolloutForm, WhoSeesItForm
from flags.admin_history import RECENT_CHANGES, history_url, recent_changes, summary
from flags.errors import FlagError
from flags.models import Flag, FlagChange
from flags.selectors import flag_tag_names, who_sees_it
from flags.user_groups import user_group_names
from llmhub.actors import Actor

SOURCE = FlagChange.Source.ADMIN


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    form = FlagAdminForm
    list_display = ("name", "enabled", "rollout_percentage", "tag_list", "owner", "updated_at")
    list_filter = ("enabled", "tags", "owner")
    search_fields = ("name", "description", "owner")
    actions = ("enable_flags", "disable_flags", "set_rollout", "roll_back")
    change_form_template = "admin/flags/flag/change_form.html"
    fieldsets = (
        (None, {"fields": ("name", "description", "owner", "tags")}),
        (
            "Who gets it",
            {
                "fields": (
                    "enabled",
                    "rollout_percentage",
                    "rollout_group",
                    "whitelist_users",
                    "blacklist_users",
                )
            },
        ),
        ("Date window", {"fields": ("starts_at", "ends_at")}),
        (None, {"fields": ("expected_version",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Flag]:
        return super().get_queryset(request).prefetch_related("tags")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("name",) if obj else ()

    @admin.display(description="Tags")
    def tag_list(self, flag: Flag) -> str:
        return ", ".join(flag_tag_names(flag))

    # --- saving through the services -------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: Flag, form: Any, change: bool) -> None:
        actor = Actor.for_user(request.user)
        changes = form.config_changes()
        try:
            if change:
                saved = services.flag_update(
                    name=obj.name,
                    actor=actor,
                    source=SOURCE,
                    expected_version=form.cleaned_data.get("expected_version"),
                    **changes,
                )
            else:
                saved = services.flag_create(
                    name=form.cleaned_data["name"], actor=actor, source=SOURCE, **changes
                )
        except FlagError as exc:
            request._flag_error = exc.message  # type: ignore[attr-defined]
            return
        obj.pk, obj.version = saved.pk, saved.version

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Tags were set by the service; the history inline is read-only."""

    def construct_change_message(
        self, request: HttpRequest, form: Any, formsets: Any, add: bool = False
    ) -> list[dict[str, Any]]:
        # The history inline is read-only and never saved: leave it out of the log message.
        return super().construct_change_message(request, form, [], add)

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return (
            None if hasattr(request, "_flag_error") else super().log_addition(request, obj, message)
        )

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return (
            None if hasattr(request, "_flag_error") else super().log_change(request, obj, message)
        )

    def response_add(
        self, request: HttpRequest, obj: Flag, post_url_continue: Any = None
    ) -> HttpResponse:
        if hasattr(request, "_flag_error"):
            self.message_user(request, request._flag_error, messages.ERROR)
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request: HttpRequest, obj: Flag) -> HttpResponse:
        if hasattr(request, "_flag_error"):
            self.message_user(request, request._flag_error, messages.ERROR)
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def delete_model(self, request: HttpRequest, obj: Flag) -> None:
        services.flag_delete(name=obj.name, actor=Actor.for_user(request.user), source=SOURCE)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Flag]) -> None:
        for flag in queryset:
            self.delete_model(request, flag)

    # --- the "who sees it?" box ------------------------------------------------------------

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = dict(extra_context or {})
        who = WhoSeesItForm(request.GET if "who_sees" in request.GET else None)
        extra["who_form"] = who
        flag = self.get_object(request, object_id)
        if flag is not None and who.is_valid():
            extra["who_result"] = who_sees_it(flag, who.cleaned_data["who_sees"])
            extra["who_subject"] = who.cleaned_data["who_sees"]
            extra["who_groups"] = sorted(user_group_names(who.cleaned_data["who_sees"]))
        if flag is not None:
            extra.update(_history_context(flag.name))
        return super().change_view(request, object_id, form_url, extra)

    # --- actions ---------------------------------------------------------------------------

    @admin.action(description="Enable selected flags", permissions=["change"])
    def enable_flags(self, request: HttpRequest, queryset: QuerySet[Flag]) -> None:
        self._each(request, queryset, services.flag_enable, "enabled")

    @admin.action(description="Disable selected flags (kill switch)", permissions=["change"])
    def disable_flags(self, request: HttpRequest, queryset: QuerySet[Flag]) -> None:
        self._each(request, queryset, services.flag_disable, "disabled")

    def _each(
        self, request: HttpRequest, queryset: QuerySet[Flag], service: Any, verb: str, **kwargs: Any
    ) -> None:
        # One service call per flag, so each change is audited and invalidates the cache.
        actor = Actor.for_user(request.user)
        done = []
        for flag in queryset:
            try:
                service(name=flag.name, actor=actor, source=SOURCE, **kwargs)
                done.append(flag.name)
            except FlagError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        if done:
            self.message_user(request, f"{verb.capitalize()}: {', '.join(done)}.", messages.SUCCESS)

    @admin.action(description="Set rollout percentage…", permissions=["change"])
    def set_rollout(self, request: HttpRequest, queryset: QuerySet[Flag]) -> HttpResponse | None:
        form = RolloutForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            percentage = form.cleaned_data["percentage"]
            self._each(
                request,
                queryset,
                services.flag_set_rollout,
                f"set to {percentage}%",
                percentage=percentage,
                comment=form.cleaned_data["comment"],
            )
            return None
        return self._intermediate(request, queryset, form, "Set rollout percentage", "set_rollout")

    @admin.action(description="Roll back to a version…", permissions=["change"])
    def roll_back(self, request: HttpRequest, queryset: QuerySet[Flag]) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one flag to roll back.", messages.ERROR)
            return None
        flag = queryset.get()
        form = RollbackForm(request.POST if "apply" in request.POST else None, flag_name=flag.name)
        if form.is_valid():
            self._each(
                request,
                queryset,
                services.flag_rollback,
                "rolled back",
                version=form.cleaned_data["version"],
                comment=form.cleaned_data["comment"],
            )
            return None
        return self._intermediate(
            request,
            queryset,
            form,
            f"Roll back {flag.name}",
            "roll_back",
            _history_context(flag.name),
        )

    def _intermediate(
        self,
        request: HttpRequest,
        queryset: QuerySet[Flag],
        form: Any,
        title: str,
        action: str,
        extra: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = {
            **(extra or {}),
            **self.admin_site.each_context(request),
            "title": title,
            "form": form,
            "flags": queryset,
            "action": action,
            "opts": self.model._meta,
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        }
        return TemplateResponse(request, "admin/flags/flag/action_form.html", context)


def _history_context(name: str) -> dict[str, Any]:
    """The flag's latest changes, each with its one-line summary, and the way to the rest."""
    changes = recent_changes(name=name, limit=RECENT_CHANGES + 1)
    return {
        "recent_changes": [(change, summary(change)) for change in changes[:RECENT_CHANGES]],
        "more_changes": len(changes) > RECENT_CHANGES,
        "history_url": history_url(name),
    }
