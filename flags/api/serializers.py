"""Input serializers (one per operation) and output shapes of the flags API.

Validation rules live in `flags.validation`: the fields declared here document the API (OpenAPI)
and the strict checks run through `clean_changes`, so "50", 50.5, true and null are refused as a
percentage exactly as the admin and the services refuse them. Unknown and read-only fields
(`version`, timestamps, history) are refused, not ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from flags.errors import FlagValidationError
from flags.validation import (
    CONFIG_FIELDS,
    MAX_LIST_ITEMS,
    MAX_USER_ID_LENGTH,
    clean_changes,
    validate_name,
)

TAG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,49}$"


def _user_ids() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(min_length=1, max_length=MAX_USER_ID_LENGTH),
        max_length=MAX_LIST_ITEMS,
        required=False,
    )


class StrictInput(serializers.Serializer):
    """Refuses anything but a JSON object of the declared fields; subclasses say what's required."""

    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        errors = {key: ["Unknown or read-only field."] for key in data if key not in self.fields}
        for name, field in self.fields.items():
            if field.required and name not in data:
                errors[name] = ["This field is required."]
        if errors:
            raise serializers.ValidationError(errors)
        try:
            return self.clean(dict(data))
        except FlagValidationError as exc:
            raise serializers.ValidationError(exc.fields) from None

    def clean(self, data: dict[str, Any]) -> dict[str, Any]:
        comment = data.pop("comment", "")
        if not isinstance(comment, str) or len(comment) > 1000:
            raise FlagValidationError({"comment": ["A string of at most 1000 characters."]})
        config = {key: value for key, value in data.items() if key in CONFIG_FIELDS}
        cleaned = clean_changes(config)
        rest = {key: value for key, value in data.items() if key not in CONFIG_FIELDS}
        return {"comment": comment, "config": cleaned, **rest}


class CommentInput(StrictInput):
    """Body of enable, disable, rollout, rollback and delete: optional, only a comment."""


class _ConfigInput(StrictInput):
    description = serializers.CharField(max_length=2000, allow_blank=True, required=False)
    enabled = serializers.BooleanField(required=False)
    rollout_percentage = serializers.IntegerField(min_value=0, max_value=100, required=False)
    rollout_group = serializers.CharField(max_length=100, required=False)
    whitelist_users = _user_ids()
    blacklist_users = _user_ids()
    starts_at = serializers.DateTimeField(allow_null=True, required=False)
    ends_at = serializers.DateTimeField(allow_null=True, required=False)
    tags = serializers.ListField(
        child=serializers.RegexField(TAG_PATTERN), max_length=20, required=False
    )
    owner = serializers.CharField(max_length=150, allow_blank=True, required=False)


class FlagCreateInput(_ConfigInput):
    name = serializers.RegexField(r"^[a-z0-9][a-z0-9_-]{0,99}$")

    def clean(self, data: dict[str, Any]) -> dict[str, Any]:
        name = data.pop("name")
        validate_name(name)
        return {**super().clean(data), "name": name}


class FlagPatchInput(_ConfigInput):
    """PATCH: any subset of the configuration."""


class FlagReplaceInput(_ConfigInput):
    """PUT: the whole configuration; every field is required (nothing is reset by omission)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in CONFIG_FIELDS:
            self.fields[name].required = True


# Output shapes: documented in the schema, built by `flags.api.presenters`.


class FlagOutput(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.IntegerField()
    description = serializers.CharField()
    enabled = serializers.BooleanField()
    rollout_percentage = serializers.IntegerField()
    rollout_group = serializers.CharField()
    whitelist_users = serializers.ListField(child=serializers.CharField())
    blacklist_users = serializers.ListField(child=serializers.CharField())
    starts_at = serializers.DateTimeField(allow_null=True)
    ends_at = serializers.DateTimeField(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())
    owner = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class EvaluationOutput(serializers.Serializer):
    flag = serializers.CharField()
    enabled = serializers.BooleanField()
    reason = serializers.CharField()
    version = serializers.IntegerField()
    config = FlagOutput(required=False, help_text="Only for clients allowed to read configuration.")


class EnabledForUserOutput(serializers.Serializer):
    user_id = serializers.CharField()
    enabled = serializers.ListField(child=serializers.CharField())


class ChangeOutput(serializers.Serializer):
    version = serializers.IntegerField()
    action = serializers.CharField()
    actor = serializers.CharField()
    actor_kind = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.source
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()
    before = serializers.DictField(allow_null=True)
    after = serializers.DictField(allow_null=True)


class _PageOutput(serializers.Serializer):
    """The shape of every list (`flags.api.pagination`)."""

    count = serializers.IntegerField(help_text="Rows in the whole list (with its filters).")
    next = serializers.URLField(allow_null=True, help_text="The next page; null on the last.")
    previous = serializers.URLField(allow_null=True, help_text="Null on the first page.")


class FlagPageOutput(_PageOutput):
    results = FlagOutput(many=True)


class ChangePageOutput(_PageOutput):
    results = ChangeOutput(many=True)
