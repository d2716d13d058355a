"""Flags as a JSON document: export, validate and import (`manage.py flags export|validate|import`).

The format is `{"flags": [{"name": ..., <configuration fields>}, ...]}`, the same configuration
the history rows and the API carry. Import applies a whole file or nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from flags.errors import FlagValidationError
from flags.selectors import flag_config, flag_list
from flags.services import flag_create, flag_update
from flags.validation import check_window, clean_changes, validate_name
from llmhub.actors import Actor


@dataclass
class ImportPlan:
    create: list[str] = field(default_factory=list)
    update: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def export_flags() -> dict[str, Any]:
    return {"flags": [{"name": flag.name, **flag_config(flag)} for flag in flag_list()]}


def parse_flag_file(text: str) -> list[dict[str, Any]]:
    """Parse and validate a whole document; raise FlagValidationError naming every problem
    (keyed `flags[<index>].<field>`), so one run shows all that needs fixing."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FlagValidationError({"file": [f"Not valid JSON: {exc}"]}) from None
    if not isinstance(document, dict) or not isinstance(document.get("flags"), list):
        raise FlagValidationError({"file": ['Expected an object {"flags": [...]}.']})
    entries: list[dict[str, Any]] = []
    problems: dict[str, list[str]] = {}
    seen: set[str] = set()
    for index, entry in enumerate(document["flags"]):
        try:
            entries.append(_validated_entry(index, entry, seen))
        except FlagValidationError as exc:
            problems.update(exc.fields)
    if problems:
        raise FlagValidationError(problems)
    return entries


def _validated_entry(index: int, entry: object, seen: set[str]) -> dict[str, Any]:
    where = f"flags[{index}]"
    if not isinstance(entry, dict):
        raise FlagValidationError({where: ["Each flag must be an object."]})
    config = dict(entry)
    name = config.pop("name", None)
    problems: dict[str, list[str]] = {}
    for check in (
        lambda: validate_name(name),
        lambda: _check_config(config),
    ):
        try:
            check()
        except FlagValidationError as exc:
            problems.update({f"{where}.{k}": v for k, v in exc.fields.items()})
    if isinstance(name, str) and name in seen:
        problems[where] = [f"Duplicate flag name {name!r}."]
    if isinstance(name, str):
        # Even when this entry is invalid: a later one repeating the name is reported now,
        # not after this one is fixed.
        seen.add(name)
    if problems:
        raise FlagValidationError(problems)
    return {"name": name, **config}


def _check_config(config: dict[str, Any]) -> None:
    cleaned = clean_changes(config)
    check_window(cleaned.get("starts_at"), cleaned.get("ends_at"))


def plan_import(entries: list[dict[str, Any]]) -> ImportPlan:
    plan = ImportPlan()
    existing = {flag.name: flag_config(flag) for flag in flag_list()}
    for entry in entries:
        config = {k: v for k, v in entry.items() if k != "name"}
        current = existing.get(entry["name"])
        if current is None:
            plan.create.append(entry["name"])
        elif any(current.get(k) != _normalized(k, v) for k, v in config.items()):
            plan.update.append(entry["name"])
        else:
            plan.unchanged.append(entry["name"])
    return plan


def _normalized(key: str, value: Any) -> Any:
    cleaned = clean_changes({key: value})[key]
    return cleaned.isoformat() if hasattr(cleaned, "isoformat") else cleaned


def apply_import(entries: list[dict[str, Any]], *, actor: Actor) -> ImportPlan:
    """Create or update every flag in one transaction: a failure leaves nothing applied."""
    plan = plan_import(entries)
    with transaction.atomic():
        for entry in entries:
            name = entry["name"]
            config = {k: v for k, v in entry.items() if k != "name"}
            if name in plan.create:
                flag_create(
                    name=name, actor=actor, source="command", comment="flags import", **config
                )
            elif name in plan.update:
                flag_update(
                    name=name, actor=actor, source="command", comment="flags import", **config
                )
    return plan
