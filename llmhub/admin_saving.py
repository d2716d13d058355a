"""Admin saves that write only what the user changed.

Django admin saves the whole row on every submit. The form re-renders some values lossily (date
and time inputs show whole seconds, so a stored `12:00:00.123456` comes back as `12:00:00`), and an
`auto_now` column moves on every save: "open, change nothing, Save" would still rewrite the row.
Writing only the fields the form reports as changed makes an unchanged save a no-op.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest


def changed_columns(obj: models.Model, form: Any) -> list[str]:
    """The concrete fields of `obj` the user changed in `form` (many-to-many fields excluded:
    the form sets them with `set()`, which writes nothing when they are unchanged)."""
    concrete = {field.name for field in obj._meta.concrete_fields}
    return [name for name in form.changed_data if name in concrete]


def auto_now_columns(obj: models.Model) -> list[str]:
    return [field.name for field in obj._meta.concrete_fields if getattr(field, "auto_now", False)]


class SaveChangedFieldsMixin:
    """For a ModelAdmin: on change, save only the changed fields (and the `auto_now` ones with
    them); with nothing changed, save nothing."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)  # type: ignore[misc]
            return
        columns = changed_columns(obj, form)
        if columns:
            obj.save(update_fields=[*columns, *auto_now_columns(obj)])
