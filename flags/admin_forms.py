"""Forms for the flag admin: lists and tags edited as text, validated by the shared rules."""

from __future__ import annotations

from typing import Any

from django import forms

from flags.errors import FlagValidationError
from flags.models import Flag
from flags.selectors import flag_tag_names, flag_version_config
from flags.validation import CONFIG_FIELDS, check_window, clean_changes

# The form edits every configuration field the services know.
EDITABLE = CONFIG_FIELDS


def split_text(text: str) -> list[str]:
    """What a user typed into a list box: one entry per line or comma-separated."""
    return [
        part.strip() for chunk in text.splitlines() for part in chunk.split(",") if part.strip()
    ]


def join_lines(items: list[str]) -> str:
    """A list as the list box shows it, one entry per line; `split_text` reads it back as is."""
    return "\n".join(items)


def join_tags(names: list[str]) -> str:
    return ", ".join(names)


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


class TextareaField(forms.CharField):
    """Text edited in a textarea. A browser posts its line breaks as CRLF: that alone is no
    change, or Django admin's history says the field changed on every save."""

    def has_changed(self, initial: Any, data: Any) -> bool:
        return normalize_newlines(initial or "") != normalize_newlines(data or "")


class ListTextField(forms.CharField):
    """A list edited as text (`split_text`): changed only when the list it reads as differs."""

    def has_changed(self, initial: Any, data: Any) -> bool:
        return split_text(initial or "") != split_text(data or "")


class FlagAdminForm(forms.ModelForm):
    whitelist_users = ListTextField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "User ids (usernames) that always get the flag, one per line or comma-separated; "
            "group:<name> lets in every member of that group (e.g. group:dev-team)."
        ),
    )
    blacklist_users = ListTextField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="User ids that never get the flag (wins over the whitelist).",
    )
    tags = ListTextField(required=False, help_text="Comma-separated, e.g. hub, analytics.")
    expected_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Flag
        fields = [
            "name",
            "description",
            "enabled",
            "rollout_percentage",
            "rollout_group",
            "starts_at",
            "ends_at",
            "owner",
        ]
        field_classes = {"description": TextareaField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rollout_group"].required = False
        # Kept as stored: stripping would change a description set over the API on every save.
        description = self.fields["description"]
        assert isinstance(description, forms.CharField)
        description.strip = False
        flag = self.instance
        if flag.pk:
            # `self.initial` (from the instance) wins over a field's own initial, so the text
            # shown must be put there: else the lists render as Python reprs and tags as objects.
            self.initial.update(
                whitelist_users=join_lines(flag.whitelist_users),
                blacklist_users=join_lines(flag.blacklist_users),
                tags=join_tags(flag_tag_names(flag)),
                expected_version=flag.version,
            )
            # Editing always names the version it started from, so a stale form is refused.
            self.fields["expected_version"].required = True

    def clean_description(self) -> str:
        # Browsers post a textarea's line breaks as CRLF; the services store LF.
        return normalize_newlines(self.cleaned_data.get("description") or "")

    def config_changes(self) -> dict[str, Any]:
        """The cleaned data in the services' vocabulary: every field when adding, only those the
        user changed when editing (an unchanged field is not re-sent, so what the form cannot
        show exactly, such as a moment's microseconds, is never overwritten)."""
        config = self._all_config()
        if not self.instance.pk:
            return config
        return {field: value for field, value in config.items() if field in self.changed_data}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            cleaned = clean_changes(self._all_config())
            check_window(cleaned.get("starts_at"), cleaned.get("ends_at"))
        except FlagValidationError as exc:
            for field, messages in exc.fields.items():
                self.add_error(field if field in self.fields else None, messages)
        self._check_not_stale()
        return data

    def _all_config(self) -> dict[str, Any]:
        """Every field as submitted, so the whole configuration is validated (the window too)."""
        data = self.cleaned_data
        config = {field: data.get(field) for field in EDITABLE}
        config.update(
            whitelist_users=split_text(data.get("whitelist_users") or ""),
            blacklist_users=split_text(data.get("blacklist_users") or ""),
            tags=[tag.lower() for tag in split_text(data.get("tags") or "")],
            rollout_group=data.get("rollout_group") or self.instance.name or data.get("name"),
        )
        return config

    def _check_not_stale(self) -> None:
        """Refuse to overwrite a change someone made after this form was opened."""
        if not self.instance.pk:
            return
        expected = self.cleaned_data.get("expected_version")
        current = Flag.objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
        if expected is not None and current is not None and expected != current:
            raise forms.ValidationError(
                f"This flag was changed by someone else after you opened it (now version "
                f"{current}, you opened version {expected}). Reload the page and apply your "
                "change again.",
                code="stale",
            )


class RolloutForm(forms.Form):
    percentage = forms.IntegerField(min_value=0, max_value=100, label="Rollout percentage")
    comment = forms.CharField(required=False, max_length=500)


class RollbackForm(forms.Form):
    """The version to restore, typed as a number and checked against the flag's history: a
    choice list would hold every version (50,000 of them for a busy flag)."""

    version = forms.IntegerField(
        min_value=1,
        label="Restore version",
        help_text="The version number, as the flag's history lists it.",
    )
    comment = forms.CharField(required=False, max_length=500)

    def __init__(self, *args: Any, flag_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.flag_name = flag_name

    def clean_version(self) -> int:
        version = self.cleaned_data["version"]
        if flag_version_config(name=self.flag_name, version=version) is None:
            raise forms.ValidationError(
                f"{self.flag_name} has no version {version} to restore: pick one from its history.",
                code="unknown_version",
            )
        return int(version)


class WhoSeesItForm(forms.Form):
    who_sees = forms.CharField(max_length=200, label="User id")
