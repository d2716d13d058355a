"""The plan page of a flag: the steps as a timeline, the current step, each gate green or red
with its figures and sample sizes (computed now, as the next tick would), the next decision
time, and the buttons (pause, resume, advance now, abort). Thresholds and steps are editable;
every write goes through `rollout.services` with the signed-in user as the actor.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from flags.models import Flag
from llmhub.actors import Actor
from rollout import services
from rollout.errors import PlanInvalid, RolloutError
from rollout.gates import Status
from rollout.models import RolloutPlan, RolloutStep
from rollout.selectors import plan_gate_report, plan_steps

ACTIONS = services.PLAN_ACTIONS


class StepFormSet(forms.BaseInlineFormSet):
    """The steps as they will be, checked whole (percentages never shrink, dwell times)."""

    def clean(self) -> None:
        super().clean()
        specs = [
            {f: form.cleaned_data.get(f) for f in services.EDITABLE_STEP_FIELDS}
            for form in self.forms
            if form.cleaned_data
        ]
        if any(spec["percentage"] is None or spec["min_dwell"] is None for spec in specs):
            return  # the field errors say what is missing
        try:
            services.clean_steps(specs)  # type: ignore[arg-type]
        except PlanInvalid as error:
            raise ValidationError(
                [f"{k}: {' '.join(v)}" for k, v in (error.fields or {}).items()]
            ) from None


class StepInline(admin.TabularInline):
    model = RolloutStep
    formset = StepFormSet
    fields = ("position", "name", "percentage", "min_dwell", "max_dwell", "entered_at")
    readonly_fields = ("position", "entered_at")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PlanAddForm(forms.ModelForm):
    class Meta:
        model = RolloutPlan
        fields = ["flag"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        running = RolloutPlan.objects.filter(state__in=services.RUNNING).values("flag")
        self.fields["flag"].queryset = Flag.objects.exclude(pk__in=running)  # type: ignore[attr-defined]
        self.fields["flag"].help_text = "Starts the seed's five phases; the first applies now."

    def validate_unique(self) -> None:
        """A finished plan of the flag is replaced by the service, not refused here."""


@admin.register(RolloutPlan)
class RolloutPlanAdmin(admin.ModelAdmin):
    change_form_template = "admin/rollout/rolloutplan/change_form.html"
    list_display = ("flag", "state", "current_step", "last_decision", "next_decision_at")
    list_filter = ("state",)
    search_fields = ("flag__name",)
    inlines = [StepInline]
    readonly_fields = (
        "flag",
        "state",
        "position",
        "step_started_at",
        "next_decision_at",
        "paused_reason",
        "version",
        "last_decision",
        "last_reason",
        "last_evaluated_at",
        "created_by",
    )
    fieldsets = [
        (None, {"fields": ["flag", "state", "paused_reason", "version", "created_by"]}),
        ("Where it stands", {"fields": ["position", "step_started_at", "next_decision_at"]}),
        ("Last decision", {"fields": ["last_decision", "last_reason", "last_evaluated_at"]}),
        (
            "Gates (docs/ROLLBACK_PLAN.md section 3)",
            {"fields": [*services.THRESHOLD_FIELDS]},
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[RolloutPlan]:
        return super().get_queryset(request).select_related("flag")

    @admin.display(description="current step")
    def current_step(self, plan: RolloutPlan) -> str:
        return f"{plan.position + 1}"

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = PlanAddForm
            kwargs["fields"] = ["flag"]
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return [(None, {"fields": ["flag"]})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else self.readonly_fields

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[Any]:
        return [] if obj is None else self.inlines

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # abort instead: the plan's record stays

    def _may_change_flags(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("flags.change_flag"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and self._may_change_flags(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._may_change_flags(request)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        actor = Actor.for_user(request.user)
        if not change:
            plan = services.plan_create(flag_name=obj.flag.name, actor=actor)
            obj.pk, obj.version = plan.pk, plan.version
            return
        # Thresholds and steps are written together by the service, in save_related.

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if not change:
            return
        for formset in formsets:  # what the admin's change message reads from a saved formset
            formset.new_objects, formset.deleted_objects = [], []
            formset.changed_objects = [
                (f.instance, f.changed_data) for f in formset.forms if f.has_changed()
            ]
        settings = {name: form.cleaned_data[name] for name in form.changed_data}
        steps = {
            f.instance.position: {n: f.cleaned_data[n] for n in f.changed_data}
            for formset in formsets
            for f in formset.forms
            if f.has_changed()
        }
        if settings or steps:
            services.plan_edit(
                flag_name=form.instance.flag.name,
                actor=Actor.for_user(request.user),
                settings=settings,
                steps=steps,
            )

    def get_urls(self) -> list[URLPattern]:
        action = self.admin_site.admin_view(self.plan_action)
        return [
            path("<int:plan_id>/plan/<str:action>/", action, name="rollout_rolloutplan_action"),
            *super().get_urls(),
        ]

    def plan_action(self, request: HttpRequest, plan_id: int, action: str) -> HttpResponse:
        """The buttons: POST only, with the flag's change permission."""
        plan = get_object_or_404(RolloutPlan.objects.select_related("flag"), pk=plan_id)
        if request.method != "POST" or action not in ACTIONS:
            return HttpResponse(status=405 if action in ACTIONS else 404)
        if not self.has_change_permission(request, plan):
            raise PermissionDenied
        try:
            ACTIONS[action](flag_name=plan.flag.name, actor=Actor.for_user(request.user))
            self.message_user(request, f"Plan of {plan.flag.name}: {action} done.")
        except RolloutError as error:
            self.message_user(request, error.message, level=messages.ERROR)
        url = reverse("admin:rollout_rolloutplan_change", args=[plan.pk])
        return HttpResponseRedirect(url)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        plan = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if plan is not None:
            context.update(plan_page_context(plan, may_act=self._may_change_flags(request)))
        return super().change_view(request, object_id, form_url, context)


def plan_page_context(plan: RolloutPlan, *, may_act: bool) -> dict[str, Any]:
    running = plan.state in services.RUNNING
    report = plan_gate_report(plan, now=timezone.now()) if running else None
    return {
        "plan": plan,
        "timeline": plan_steps(plan),
        "report": report,
        "gates": [
            {"gate": gate, "green": gate.status == Status.PASS, "red": gate.status == Status.FAIL}
            for gate in (report.gates if report else [])
        ],
        "buttons": _buttons(plan) if may_act else [],
    }


def _buttons(plan: RolloutPlan) -> list[tuple[str, str]]:
    labels = {
        "pause": "Pause",
        "resume": "Resume",
        "advance": "Advance now",
        "abort": "Abort the plan",
    }
    allowed: list[str] = {
        RolloutPlan.State.ACTIVE: ["pause", "advance", "abort"],
        RolloutPlan.State.PAUSED: ["resume", "advance", "abort"],
    }.get(RolloutPlan.State(plan.state), [])
    return [
        (reverse("admin:rollout_rolloutplan_action", args=[plan.pk, a]), labels[a]) for a in allowed
    ]
