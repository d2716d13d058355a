"""API tokens from the shell (`manage.py tokens`) and from Django admin."""

from __future__ import annotations

import logging
from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from flags.tests.api.conftest import make_flag, make_user
from llmhub.api.tokens.models import ApiToken, token_hash
from telemetry.models import Event

pytestmark = pytest.mark.django_db


def _tokens(*args: str) -> str:
    out = StringIO()
    call_command("tokens", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_create__prints_the_token_alone_on_its_last_line_and_it_works() -> None:
    make_user("deploy", ("view_flag",))
    make_flag("hub")

    output = _tokens("create", "--user", "deploy", "--scope", "read", "--label", "ci")

    raw = output.strip().splitlines()[-1]
    token = ApiToken.objects.get()
    assert token_hash(raw) == token.key_hash
    assert (token.scope, token.label, token.user.username) == ("read", "ci", "deploy")
    response = Client().get("/api/v1/features/hub", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200


def test_create__unknown_user__error() -> None:
    with pytest.raises(CommandError, match="No user named"):
        _tokens("create", "--user", "ghost", "--scope", "read")


def test_list__shows_prefix_never_the_secret() -> None:
    make_user("deploy")
    raw = _tokens("create", "--user", "deploy", "--scope", "write").strip().splitlines()[-1]

    listing = _tokens("list")

    assert ApiToken.objects.get().prefix in listing
    assert raw not in listing
    assert "active" in listing


def test_revoke__by_prefix__token_stops_working() -> None:
    make_user("deploy", ("view_flag",))
    raw = _tokens("create", "--user", "deploy", "--scope", "read").strip().splitlines()[-1]
    prefix = ApiToken.objects.get().prefix

    assert "revoked" in _tokens("revoke", prefix)

    response = Client().get("/api/v1/features/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 401
    assert "revoked" in _tokens("list")


def test_admin__create__shows_the_secret_once_and_stores_only_its_hash() -> None:
    admin = make_user("root", staff=True)
    admin.is_superuser = True
    admin.save()
    owner = make_user("svc")
    client = Client()
    client.force_login(admin)

    response = client.post(
        "/admin/tokens/apitoken/add/",
        {"user": owner.pk, "label": "billing", "scope": "read"},
        follow=True,
    )

    assert response.status_code == 200
    token = ApiToken.objects.get()
    shown = [str(m) for m in get_messages(response.wsgi_request)] + [response.content.decode()]
    secrets = [word for text in shown for word in text.split() if word.startswith("lhk_")]
    raw = next(word for word in secrets if token_hash(word) == token.key_hash)
    listing = client.get("/admin/tokens/apitoken/").content.decode()
    assert token.prefix in listing
    assert raw not in listing


def test_admin__revoke_action() -> None:
    admin = make_user("root", staff=True)
    admin.is_superuser = True
    admin.save()
    make_user("svc")
    _tokens("create", "--user", "svc", "--scope", "read")
    client = Client()
    client.force_login(admin)

    client.post(
        "/admin/tokens/apitoken/",
        {"action": "revoke_tokens", "_selected_action": [ApiToken.objects.get().pk]},
    )

    assert ApiToken.objects.get().revoked_at is not None


def test_revoke__by_id__and_last_use_recorded() -> None:
    make_user("deploy", ("view_flag",))
    raw = _tokens("create", "--user", "deploy", "--scope", "read").strip().splitlines()[-1]
    Client().get("/api/v1/features/", HTTP_X_API_KEY=raw)
    token = ApiToken.objects.get()
    assert token.last_used_at is not None

    assert "revoked" in _tokens("revoke", str(token.pk))
    assert "already revoked" in _tokens("revoke", str(token.pk))
    with pytest.raises(CommandError, match="No token"):
        _tokens("revoke", "lhk_nothere")


def _token_events(caplog: pytest.LogCaptureFixture) -> list[tuple[str, int, str, dict]]:
    """(action, log level, user id, properties) of every token `security` event stored."""
    levels = {
        record.action: record.levelno
        for record in caplog.records
        if record.name == "telemetry.events" and hasattr(record, "action")
    }
    return [
        (event.action, levels.get(event.action, 0), event.user_id, event.properties)
        for event in Event.objects.filter(event_type="security").order_by("id")
    ]


def test_command__create_and_revoke__security_events_at_info_naming_the_command(
    caplog: pytest.LogCaptureFixture, django_capture_on_commit_callbacks
) -> None:
    caplog.set_level(logging.INFO, logger="telemetry.events")
    make_user("deploy")
    with django_capture_on_commit_callbacks(execute=True):
        _tokens("create", "--user", "deploy", "--scope", "read", "--label", "ci")
        prefix = ApiToken.objects.get().prefix
        _tokens("revoke", prefix)
        _tokens("revoke", prefix)  # already revoked: nothing happens, nothing recorded

    expected = {
        "actor": "manage.py tokens",
        "actor_kind": "command",
        "token": prefix,
        "label": "ci",
        "scope": "read",
        "owner": "deploy",
    }
    assert _token_events(caplog) == [
        ("token_created", logging.INFO, "", expected),
        ("token_revoked", logging.INFO, "", expected),
    ]


def test_admin__create_and_revoke__security_events_name_the_admin(
    admin_client: Client, caplog: pytest.LogCaptureFixture, django_capture_on_commit_callbacks
) -> None:
    caplog.set_level(logging.INFO, logger="telemetry.events")
    owner = make_user("svc")

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/tokens/apitoken/add/", {"user": owner.pk, "label": "b", "scope": "read"}
        )
        token = ApiToken.objects.get()
        admin_client.post(
            "/admin/tokens/apitoken/", {"action": "revoke_tokens", "_selected_action": [token.pk]}
        )

    events = _token_events(caplog)
    assert [(action, level, user) for action, level, user, _ in events] == [
        ("token_created", logging.INFO, "admin"),
        ("token_revoked", logging.INFO, "admin"),
    ]
    assert {props["actor"] for *_, props in events} == {"admin"}
    assert {props["token"] for *_, props in events} == {token.prefix}
