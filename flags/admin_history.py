"""The audit trail in Django admin: read-only and append-only, with what changed.

Sized for long histories (a flag with 50,000 versions, 200,000 rows in all): the flag page shows
only the latest changes and links to this list filtered by the flag; the list reads no snapshot
columns and counts no more than it shows.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from flags.models import FlagChange
from flags.selectors import flag_history
from llmhub.admin_readonly import ReadOnlyAdminMixin

# Changes shown on a flag's page; the rest are one click away in the filtered list.
RECENT_CHANGES = 20
# Ids named per list in a one-line summary; a 10,000-id list is summarised by its counts.
NAMED_IDS = 5
VALUE_CHARS = 80


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


def recent_changes(*, name: str, limit: int = RECENT_CHANGES) -> list[FlagChange]:
    """The latest `limit` changes of a flag, newest first: one query, whatever the history."""
    return list(flag_history(name=name)[:limit])


def history_url(name: str) -> str:
    """The full audit trail of one flag name, in the paginated admin list."""
    return reverse("admin:flags_flagchange_changelist") + "?" + urlencode({"flag_name": name})


def _named(ids: list[Any]) -> str:
    shown = ", ".join(str(user) for user in ids[:NAMED_IDS])
    return shown + (f", … ({len(ids)} in all)" if len(ids) > NAMED_IDS else "")


def _list_change(field: str, old: list[Any], new: list[Any]) -> str:
    """What a list edit did, as the ids added and removed: bounded however long the list."""
    before, after = set(old), set(new)
    added = [user for user in new if user not in before]
    removed = [user for user in old if user not in after]
    parts = [
        f"added {_named(added)}" if added else "",
        f"removed {_named(removed)}" if removed else "",
    ]
    return f"{field}: " + (" and ".join(p for p in parts if p) or "reordered")


def _value(value: Any) -> str:
    text = shown(value)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


def summary(change: FlagChange) -> str:
    """One line saying what a change did, bounded in length."""
    parts = []
    for field, (old, new) in change.changed_fields().items():
        if isinstance(old, list) and isinstance(new, list) and field != "tags":
            parts.append(_list_change(field, old, new))
        else:
            parts.append(f"{field}: {_value(old)} → {_value(new)}")
    return "; ".join(parts) or "(created)"


class _WithoutSnapshots(ChangeList):
    """The list shows no configuration, so it does not read the before/after JSON: with long
    user lists those columns are most of each row."""

    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet[Any]:
        return super().get_queryset(request, exclude_parameters).defer("before", "after")


@admin.register(FlagChange)
class FlagChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail: read-only, append-only. `?flag_name=<name>` is one flag's history."""

    list_display = ("flag_name", "version", "action", "actor", "source", "created_at")
    list_filter = ("action", "source", "actor_kind", "created_at")
    search_fields = ("flag_name", "actor", "comment")
    show_full_result_count = False  # one COUNT per page, not a second one over every row
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
        "details",
        "created_at",
    )
    exclude = ("flag",)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return _WithoutSnapshots

    @admin.display(description="What changed")
    def what_changed(self, change: FlagChange) -> str:
        rows = change.changed_fields().items()
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "", "<li><b>{}</b>: {} → {}</li>", ((k, shown(o), shown(n)) for k, (o, n) in rows)
            ),
        )
