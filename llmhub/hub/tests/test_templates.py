"""Django's `{# #}` comment is one line only: one spanning lines is printed as page text.

Every template of the repository is scanned (multi-line comments use {% comment %}), and the
hub's pages as served carry no comment marker.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from flags.testutils import override_flag
from llmhub.hub.seed.loaders import seed_catalog, seed_tiers
from llmhub.hub.tests.factories import StaffUserFactory

REPO = Path(settings.BASE_DIR)
SKIPPED_DIRS = {".venv", "node_modules", ".git", "staticfiles"}
# `{#` that is not closed by `#}` on the same line.
UNCLOSED_COMMENT = re.compile(r"\{#(?![^\n]*#\})")


def repo_templates() -> list[Path]:
    found = [
        path
        for path in REPO.rglob("templates/**/*")
        if path.is_file() and not SKIPPED_DIRS & set(path.relative_to(REPO).parts)
    ]
    return sorted(found)


def test_templates__found_in_every_templates_dir() -> None:
    names = {str(path.relative_to(REPO)) for path in repo_templates()}
    assert "templates/hub/hub.html" in names
    assert "templates/telemetry/dashboard.html" in names


@pytest.mark.parametrize("template", repo_templates(), ids=lambda path: str(path.relative_to(REPO)))
def test_template__has_no_multi_line_hash_comment(template: Path) -> None:
    text = template.read_text(encoding="utf-8")
    lines = [text.count("\n", 0, m.start()) + 1 for m in UNCLOSED_COMMENT.finditer(text)]
    assert not lines, f"{template}: {{# without #}} on line(s) {lines}; use {{% comment %}}"


@pytest.mark.django_db
@pytest.mark.parametrize("flag_on", [True, False], ids=["hub", "old pages"])
@pytest.mark.parametrize("path", ["", "keys/", "models/", "rules/", "usage/", "old/routing/"])
def test_hub_pages__show_no_comment_markers(client: Client, path: str, flag_on: bool) -> None:
    seed_catalog()
    seed_tiers()
    client.force_login(StaffUserFactory.create(username="reader"))
    with override_flag("unified_llm_hub", active=flag_on):
        response = client.get(f"/admin/llm-management/{path}", follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert "{#" not in page and "#}" not in page
    assert "{%" not in page and "%}" not in page
