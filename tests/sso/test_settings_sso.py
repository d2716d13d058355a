"""The company sign-in is configured by the environment and off by default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.sso.conftest import sso_settings
from tests.system.processes import manage_py
from tests.test_settings import PRODUCTION_ENV

ROOT = Path(__file__).resolve().parents[2]
OIDC_ENV = {
    "OIDC_ISSUER": "https://sso.example.com/realms/company/",
    "OIDC_CLIENT_ID": "llmhub",
    "OIDC_CLIENT_SECRET": "secret",
    "OIDC_STAFF_ROLES": "hub-admin, dev-team",
    "OIDC_ROLES_CLAIM": "realm_access.roles",
}


def _settings(**env: str) -> dict[str, object]:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ('SSO_ENABLED', 'OIDC_ISSUER', "
        "'AUTHENTICATION_BACKENDS', 'OIDC_STAFF_ROLES', 'OIDC_ROLES_CLAIM', "
        "'OIDC_GROUPS_CLAIM', 'OIDC_USERNAME_CLAIM', 'OIDC_USE_PKCE')}))"
    )
    full = {"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "llmhub.settings.local"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**full, **env}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_off_by_default__local_passwords_only() -> None:
    values = _settings()
    assert values["SSO_ENABLED"] is False
    assert values["AUTHENTICATION_BACKENDS"] == ["django.contrib.auth.backends.ModelBackend"]


def test_environment__issuer_client_roles_claims() -> None:
    values = _settings(**OIDC_ENV)
    assert values["SSO_ENABLED"] is True
    assert values["OIDC_ISSUER"] == "https://sso.example.com/realms/company"
    assert values["AUTHENTICATION_BACKENDS"][-1] == "llmhub.sso.backend.CompanyOIDCBackend"
    assert values["OIDC_STAFF_ROLES"] == ["hub-admin", "dev-team"]
    assert (values["OIDC_USERNAME_CLAIM"], values["OIDC_GROUPS_CLAIM"]) == (
        "preferred_username",
        "groups",
    )
    assert values["OIDC_ROLES_CLAIM"] == "realm_access.roles"
    assert values["OIDC_USE_PKCE"] is True


def test_production_with_sso__passes_check_deploy() -> None:
    env = {**PRODUCTION_ENV, **OIDC_ENV}
    done = manage_py("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.django_db
def test_login_page__company_button_only_when_configured(client: Client) -> None:
    assert "company account" not in client.get("/admin/login/").content.decode()
    assert client.get("/oidc/authenticate/").status_code == 404
    with sso_settings("https://sso.example.com/realms/company"):
        page = client.get("/admin/login/?next=/admin/llm-management/").content.decode()
    assert 'href="/oidc/authenticate/?next=/admin/llm-management/"' in page
