"""The audit trail in Django admin: read-only and append-only, with what changed."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from flags.models import FlagChange
from llmhub.admin_readonly import ReadOnlyAdminMixin


def shown(value: Any) -> str:
    """A configuration value as a person reads it, not as Python prints it: lists
    comma-separated, no quotes, "—" for absent (a field older versions did not record)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(shown(item) for item in value) or "(empty)"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True) if value else "(empty)"
    return str(value) if value != "" else "(empty)"


def _summary(change: FlagChange) -> str:
    parts = [
        f"{field}: {shown(old)} → {shown(new)}"
        for field, (old, new) in change.changed_fields().items()
    ]
    return "; ".join(parts) or "(created)"


class FlagChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The flag's history, read-only, newest first, with what changed."""

    model = FlagChange
    fk_name = "flag"
    extra = 0
    can_delete = False
    ordering = ("-version",)
    fields = ("version", "action", "actor", "source", "created_at", "what_changed", "comment")
    readonly_fields = fields
    verbose_name_plural = "History"

    @admin.display(description="What changed")
    def what_changed(self, change: FlagChange) -> str:
        return _summary(change)


@admin.register(FlagChange)
class FlagChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail: read-only, append-only."""

    list_display = ("flag_name", "version", "action", "actor", "source", "created_at")
    list_filter = ("action", "source", "actor_kind", "created_at")
    search_fields = ("flag_name", "actor", "comment")
    readonly_fields = (
        "flag_name",
        "version",
        "action",
        "actor",
        "actor_kind",
        "actor_user",
        "source",
        "before",
        "after",
        "what_changed",
        "comment",
        "created_at",
    )
    exclude = ("flag",)

    @admin.display(description="What changed")
    def what_changed(self, change: FlagChange) -> str:
        rows = change.changed_fields().items()
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "", "<li><b>{}</b>: {} → {}</li>", ((k, shown(o), shown(n)) for k, (o, n) in rows)
            ),
        )


# API tokens have their own admin module; importing it registers it with this site.
