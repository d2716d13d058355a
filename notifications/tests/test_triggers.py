"""Inbound trigger URLs, called as Alertmanager or a pager calls them: a plain HTTP POST to
the live server, no session and no token."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from django.core.management import call_command

from flags.models import Flag, FlagChange
from flags.services import flag_create
from llmhub.actors import Actor
from notifications.models import FlagTrigger
from notifications.services import trigger_create, trigger_revoke
from telemetry.buffer import process_buffer
from telemetry.models import Event

pytestmark = pytest.mark.django_db(transaction=True)
ACTOR = Actor.system("trigger test")


def post(url: str, method: str = "POST") -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=b"{}" if method == "POST" else None, method=method)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def hub_flag() -> Flag:
    return flag_create(
        name="unified_llm_hub", actor=ACTOR, source="command", enabled=True, rollout_percentage=50
    )


def test_trigger__disables_the_flag__audited_as_the_trigger__idempotent(
    live_server: Any, hub_flag: Flag
) -> None:
    trigger, secret = trigger_create(flag=hub_flag, label="alertmanager")
    url = f"{live_server.url}/api/v1/triggers/{secret}"
    # when Alertmanager posts to the URL
    status, body = post(url)
    # then the flag is off, and the change is audited with the trigger as its actor
    assert (status, body) == (
        200,
        {"flag": "unified_llm_hub", "enabled": False, "version": 2, "changed": True},
    )
    flag = Flag.objects.get(name="unified_llm_hub")
    assert (flag.enabled, flag.rollout_percentage) == (False, 50)
    change = FlagChange.objects.get(flag_name="unified_llm_hub", version=2)
    assert (change.action, change.actor_kind, change.source) == ("disable", "trigger", "api")
    assert change.actor == f"trigger alertmanager ({trigger.prefix})"
    # when it fires again (alerts repeat): nothing more is written
    assert post(url) == (
        200,
        {"flag": "unified_llm_hub", "enabled": False, "version": 2, "changed": False},
    )
    assert FlagChange.objects.filter(flag_name="unified_llm_hub").count() == 2
    trigger.refresh_from_db()
    assert trigger.last_used_at is not None
    # and the secret appears in no stored event (the path is recorded redacted)
    process_buffer.flush_all()
    paths = list(Event.objects.values_list("path", flat=True))
    assert paths.count("/api/v1/triggers/<secret>") >= 2  # earlier tests' may be flushed too
    assert not any(secret in path for path in paths)
    assert not any(
        secret in json.dumps(props) for props in Event.objects.values_list("properties", flat=True)
    )


def test_trigger__wrong_or_revoked_secret__404_that_tells_nothing(
    live_server: Any, hub_flag: Flag
) -> None:
    trigger, secret = trigger_create(flag=hub_flag, label="pager")
    wrong = f"{trigger.prefix}_{'x' * 43}"
    status, body = post(f"{live_server.url}/api/v1/triggers/{wrong}")
    assert status == 404 and body["error"]["code"] == "not_found"
    assert wrong not in body["error"]["message"]
    # revoked: the very same answer as a secret that never existed
    trigger_revoke(trigger=trigger)
    revoked_status, revoked_body = post(f"{live_server.url}/api/v1/triggers/{secret}")
    assert (revoked_status, revoked_body) == (status, body)
    assert Flag.objects.get(name="unified_llm_hub").enabled is True
    # and a GET changes nothing
    assert post(f"{live_server.url}/api/v1/triggers/{secret}", method="GET")[0] == 405


def test_trigger_command__create_list_revoke(live_server: Any, hub_flag: Flag) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "triggers", "create", "unified_llm_hub", "--label", "alertmanager", stdout=out, stderr=err
    )
    path = out.getvalue().strip().splitlines()[-1]
    assert path.startswith("/api/v1/triggers/ltr_") and "not be shown again" in err.getvalue()
    trigger = FlagTrigger.objects.get()
    assert trigger.secret_hash not in path and path.split("/")[-1] not in trigger.secret_hash
    listed = io.StringIO()
    call_command("triggers", "list", stdout=listed)
    assert f"{trigger.prefix}  unified_llm_hub  alertmanager  active" in listed.getvalue()
    call_command("triggers", "revoke", trigger.prefix, stdout=io.StringIO())
    assert post(f"{live_server.url}{path}")[0] == 404
