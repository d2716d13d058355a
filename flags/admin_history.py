"""The audit trail in Django admin: read-only and append-only, with what changed."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from flags.models import FlagChange
from llmhub.admin_readonly import ReadOnlyAdminMixin


def _summary(change: FlagChange) -> str:
    parts = [f"{field}: {old!r} → {new!r}" for field, (old, new) in change.changed_fields().items()]
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
                "", "<li><b>{}</b>: {} → {}</li>", ((k, repr(o), repr(n)) for k, (o, n) in rows)
            ),
        )


# API tokens have their own admin module; importing it registers it with this site.
