"""`manage.py flags <subcommand>`: list, inspect and change flags from a shell.

Every change goes through `flags.services` (audited with source "command"). Bad input exits
non-zero with one clear line and changes nothing.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from flags import services
from flags.errors import FlagError, FlagValidationError
from flags.flagfile import apply_import, export_flags, parse_flag_file, plan_import
from flags.selectors import flag_config, flag_get, flag_history, flag_list, who_sees_it
from flags.user_groups import user_group_names
from flags.validation import clean_changes
from llmhub.actors import Actor
from llmhub.commands import Command as BaseCommand
from llmhub.commands import Problems, whole_number

SOURCE = "command"
_percentage = whole_number(maximum=100)
_version = whole_number(minimum=1, maximum=2**31 - 1)


class Command(BaseCommand):
    help = "Manage feature flags: list, show, create, enable, disable, rollout, whitelist, ..."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        listing = sub.add_parser("list", help="List flags.")
        listing.add_argument("--tags", default="", help="Comma-separated; flags with any of them.")
        self._named(sub, "show", "Show one flag's configuration as JSON.")
        create = self._named(sub, "create", "Create a flag.")
        create.add_argument("--description", default="")
        create.add_argument("--enabled", action="store_true")
        create.add_argument("--rollout", type=_percentage, default=0)
        create.add_argument("--tags", default="")
        create.add_argument("--owner", default="")
        self._named(sub, "enable", "Turn the kill switch on.")
        self._named(sub, "disable", "Turn the kill switch off: nobody gets the flag.")
        rollout = self._named(sub, "rollout", "Set the rollout percentage.")
        rollout.add_argument("percentage", type=_percentage)
        for listname in ("whitelist", "blacklist"):
            lst = sub.add_parser(listname, help=f"Add or remove users on the {listname}.")
            lst.add_argument("operation", choices=["add", "remove"])
            lst.add_argument("name")
            lst.add_argument("users", nargs="+")
            lst.add_argument("--comment", default="")
        check = sub.add_parser("check", help="Who sees it? Evaluate a flag for one user, now.")
        check.add_argument("name")
        check.add_argument("user", help="A user id (username), as admins type into the lists.")
        history = self._named(sub, "history", "Show the audit trail, newest first.")
        history.add_argument("--limit", type=whole_number(minimum=1, maximum=10_000), default=20)
        rollback = self._named(sub, "rollback", "Restore a recorded version as a new version.")
        rollback.add_argument("version", type=_version)
        sub.add_parser("export", help="Print every flag as JSON.")
        imp = sub.add_parser("import", help="Create or update flags from a JSON file.")
        imp.add_argument("file")
        imp.add_argument("--dry-run", action="store_true", help="Show what would change only.")
        val = sub.add_parser("validate", help="Check a flags JSON file; change nothing.")
        val.add_argument("file")

    @staticmethod
    def _named(sub: Any, command: str, text: str) -> ArgumentParser:
        parser: ArgumentParser = sub.add_parser(command, help=text)
        parser.add_argument("name")
        parser.add_argument("--comment", default="")
        parser.add_argument("--expected-version", type=_version, default=None)
        return parser

    def handle(self, *args: Any, **options: Any) -> None:
        handler: Callable[[dict[str, Any]], None] = getattr(self, f"_{options['subcommand']}")
        try:
            handler(options)
        except FlagValidationError as exc:
            raise Problems(*_lines(exc)) from None
        except FlagError as exc:
            raise Problems(exc.message) from None

    # --- reads --------------------------------------------------------------------------------

    def _list(self, options: dict[str, Any]) -> None:
        tags = [tag.strip() for tag in options["tags"].split(",") if tag.strip()]
        try:  # a tag no flag can carry is a typo, not an empty answer
            clean_changes({"tags": tags})
        except FlagValidationError as exc:
            raise Problems(f"--tags {options['tags']!r}: {' '.join(exc.fields['tags'])}") from None
        for flag in flag_list(tags=tags):
            state = "on " if flag.enabled else "off"
            self.stdout.write(
                f"{flag.name:40} {state} {flag.rollout_percentage:3}%  v{flag.version}"
            )

    def _show(self, options: dict[str, Any]) -> None:
        flag = flag_get(name=options["name"])
        if flag is None:
            raise Problems(f"No flag named {options['name']!r}.")
        data = {"name": flag.name, "version": flag.version, **flag_config(flag)}
        self.stdout.write(json.dumps(data, indent=2))

    def _check(self, options: dict[str, Any]) -> None:
        """The saved configuration for one user and their groups, as the admin's box shows it."""
        flag = flag_get(name=options["name"])
        if flag is None:
            raise Problems(f"No flag named {options['name']!r}.")
        result = who_sees_it(flag, options["user"])
        groups = ", ".join(f"group:{g}" for g in sorted(user_group_names(options["user"])))
        state = "ON" if result.enabled else "OFF"
        self.stdout.write(
            f"{flag.name} for {options['user']}: {state} ({result.reason}, version "
            f"{result.version}); groups: {groups or 'none'}"
        )

    def _history(self, options: dict[str, Any]) -> None:
        changes = list(flag_history(name=options["name"])[: options["limit"]])
        if not changes:  # a deleted flag keeps its history: only a name never used has none
            raise Problems(f"No flag named {options['name']!r} and no history under that name.")
        for change in changes:
            changed = ", ".join(change.changed_fields()) or "-"
            self.stdout.write(
                f"v{change.version:<4} {change.created_at:%Y-%m-%d %H:%M:%S} {change.action:8} "
                f"{change.source:8} {change.actor}  [{changed}] {change.comment}"
            )

    def _export(self, options: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(export_flags(), indent=2))

    # --- writes -------------------------------------------------------------------------------

    def _common(self, options: dict[str, Any], command: str) -> dict[str, Any]:
        return {
            "name": options["name"],
            "actor": Actor.command(f"flags {command}"),
            "source": SOURCE,
            "comment": options.get("comment", ""),
        }

    def _done(self, flag: Any, what: str, *, before: int | None = None, same: str = "") -> None:
        """`what` was done; or, when the version did not move (the services record nothing
        for a change to the current state), `same` and that nothing changed."""
        if before is not None and flag.version == before:
            self.stdout.write(f"{flag.name}: {same}; nothing changed (version {flag.version}).")
            return
        self.stdout.write(self.style.SUCCESS(f"{flag.name}: {what} (version {flag.version})"))

    @staticmethod
    def _version_now(name: str) -> int | None:
        """The version before a write, to tell a no-op (None: no such flag, the service says)."""
        flag = flag_get(name=name)
        return flag.version if flag is not None else None

    def _create(self, options: dict[str, Any]) -> None:
        tags = [tag.strip() for tag in options["tags"].split(",") if tag.strip()]
        kwargs = self._common(options, "create")
        kwargs.pop("expected_version", None)
        flag = services.flag_create(
            **kwargs,
            description=options["description"],
            enabled=options["enabled"],
            rollout_percentage=options["rollout"],
            tags=tags,
            owner=options["owner"],
        )
        self._done(flag, "created")

    def _enable(self, options: dict[str, Any]) -> None:
        before = self._version_now(options["name"])
        flag = services.flag_enable(
            **self._common(options, "enable"), expected_version=options["expected_version"]
        )
        self._done(flag, "enabled", before=before, same="already enabled")

    def _disable(self, options: dict[str, Any]) -> None:
        before = self._version_now(options["name"])
        flag = services.flag_disable(
            **self._common(options, "disable"), expected_version=options["expected_version"]
        )
        self._done(flag, "disabled", before=before, same="already disabled")

    def _rollout(self, options: dict[str, Any]) -> None:
        before = self._version_now(options["name"])
        flag = services.flag_set_rollout(
            **self._common(options, "rollout"),
            percentage=options["percentage"],
            expected_version=options["expected_version"],
        )
        what = f"rollout {flag.rollout_percentage}%"
        self._done(flag, what, before=before, same=f"rollout already {flag.rollout_percentage}%")

    def _rollback(self, options: dict[str, Any]) -> None:
        before = self._version_now(options["name"])
        flag = services.flag_rollback(
            **self._common(options, "rollback"),
            version=options["version"],
            expected_version=options["expected_version"],
        )
        version = options["version"]
        same = f"the configuration of version {version} is the current one"
        self._done(flag, f"rolled back to version {version}", before=before, same=same)

    def _lists(self, options: dict[str, Any], listname: str) -> None:
        key = f"{listname}_{options['operation']}"
        if options["operation"] == "remove":
            self._refuse_absent(options["name"], listname, options["users"])
        before = self._version_now(options["name"])
        flag = services.flag_edit_lists(
            **self._common(options, listname), **{key: options["users"]}
        )
        users = flag.whitelist_users if listname == "whitelist" else flag.blacklist_users
        held = f"{listname} now {', '.join(users) or '(empty)'}"
        same = f"already on the {listname}: {', '.join(options['users'])}"
        self._done(flag, held, before=before, same=same)

    @staticmethod
    def _refuse_absent(name: str, listname: str, users: list[str]) -> None:
        """Removing someone who is not there is a typo more often than not: say so, change
        nothing (the services would quietly record nothing)."""
        flag = flag_get(name=name)
        if flag is None:
            raise Problems(f"No flag named {name!r}.")
        current = flag.whitelist_users if listname == "whitelist" else flag.blacklist_users
        on_list = set(current)
        absent = [user for user in users if user not in on_list]
        if absent:
            raise Problems(
                f"{name}: not on the {listname}: {', '.join(absent)} "
                f"(the {listname} holds: {', '.join(current) or 'nobody'}); nothing changed."
            )

    def _whitelist(self, options: dict[str, Any]) -> None:
        self._lists(options, "whitelist")

    def _blacklist(self, options: dict[str, Any]) -> None:
        self._lists(options, "blacklist")

    # --- files --------------------------------------------------------------------------------

    def _read(self, path: str) -> list[dict[str, Any]]:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise Problems(f"{path}: cannot read it: {exc}") from None
        try:
            return parse_flag_file(text)
        except FlagValidationError as exc:
            raise Problems(*_lines(exc, prefix=f"{path}: ")) from None

    def _validate(self, options: dict[str, Any]) -> None:
        entries = self._read(options["file"])
        self.stdout.write(self.style.SUCCESS(f"{options['file']}: {len(entries)} flags, valid."))

    def _import(self, options: dict[str, Any]) -> None:
        entries = self._read(options["file"])
        if options["dry_run"]:
            plan = plan_import(entries)
            prefix = "Would"
        else:
            plan = apply_import(entries, actor=Actor.command("flags import"))
            prefix = "Did"
        self.stdout.write(f"{prefix} create: {', '.join(plan.create) or '-'}")
        self.stdout.write(f"{prefix} update: {', '.join(plan.update) or '-'}")
        self.stdout.write(f"Unchanged: {', '.join(plan.unchanged) or '-'}")


def _lines(error: FlagValidationError, prefix: str = "") -> list[str]:
    """One line per problem: `<where>: <what is expected>`."""
    return [f"{prefix}{where}: {' '.join(messages)}" for where, messages in error.fields.items()]
