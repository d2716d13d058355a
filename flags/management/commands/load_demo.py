"""`manage.py load_demo`: a small demo for `make run` (idempotent; development only).

`unified_llm_hub` comes from the declared flags (`FEATURE_*` in .env.development).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandParser

from flags.declared import ensure_declared_flags
from flags.seed import DEMO_FLAGS
from flags.services import flag_ensure
from llmhub.actors import Actor
from llmhub.commands import Command as BaseCommand
from llmhub.commands import Problems

# Where `make run` serves (its runserver address).
RUN_URL = "http://127.0.0.1:8000"


class Command(BaseCommand):
    help = "Load demo data: an admin login and a few flags (never overwrites existing flags)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default="llmhub-admin", help="The demo admin's password.")
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")
        parser.add_argument(
            "--url", default=RUN_URL, help=f"Where the site is served (default: {RUN_URL})."
        )

    def handle(self, *args: Any, password: str, force: bool, url: str, **options: Any) -> None:
        if not password.strip():
            raise Problems("--password must not be empty: the admin could not log in.")
        if not settings.DEBUG and not force:
            raise Problems("load_demo sets a known admin password; it runs only with DEBUG on.")
        user_model = get_user_model()
        admin, _ = user_model.objects.get_or_create(
            username="admin", defaults={"email": "admin@example.com"}
        )
        admin.is_staff = admin.is_superuser = True
        admin.set_password(password)
        admin.save()
        ensure_declared_flags()
        actor = Actor.command("load_demo")
        created = [
            name
            for name, config in DEMO_FLAGS.items()
            if flag_ensure(name=name, defaults=config, actor=actor, source="command")
        ]
        self.stdout.write(f"Demo flags created: {', '.join(created) or 'none (already there)'}")
        self._closing_lines(url.rstrip("/"), password)

    def _closing_lines(self, url: str, password: str) -> None:
        """The last lines `make run` prints before runserver's banner: what to open, as whom."""
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"LLM Hub (development): {url}/"))
        self.stdout.write(f"  Admin login: {url}/admin/  user: admin  password: {password}")
        self.stdout.write(f"  The hub:     {url}/admin/llm-management/")
        self.stdout.write("  Other logins: under 'Development logins' above (seed_test_data).")
        self.stdout.write("")
