"""docs/NOTIFICATIONS.md cannot rot: its `sh` blocks run as written (against a live server
and this test's database) and its Python verification snippet verifies a real delivery."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from flags import services
from flags.models import Flag, FlagChange
from llmhub.actors import Actor
from notifications.models import FlagTrigger, Webhook
from notifications.signing import HEADER
from notifications.tests.receiver import webhook_receiver
from tests.doc_blocks import block, blocks, operator_env, run

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "NOTIFICATIONS.md"
SECRET = "whsec-doc-0123456789abcdef"
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
_run = run


def _blocks(kind: str) -> list[str]:
    return blocks(DOC, kind)


def _block(containing: str) -> str:
    return block(DOC, containing)


@pytest.fixture
def env(live_server: Any) -> dict[str, str]:
    services.flag_create(
        name="unified_llm_hub",
        actor=Actor.system("tests"),
        source="command",
        enabled=True,
        rollout_percentage=25,
    )
    return operator_env(live_server.url)


def test_doc__has_the_blocks_this_test_runs() -> None:
    assert len(_blocks("sh")) == 5 and len(_blocks("python")) == 2


def test_trigger_blocks__create_fire_list_revoke(env: dict[str, str]) -> None:
    create = _block("triggers create")
    revoke = _block("triggers revoke")
    # both in one shell, as an operator types them: $TRIGGER carries over
    out = _run(create + "\n" + revoke, env)
    fired, listed, revoked, status = out.strip().splitlines()
    assert json.loads(fired) == {
        "flag": "unified_llm_hub",
        "enabled": False,
        "version": 2,
        "changed": True,
    }
    assert Flag.objects.get(name="unified_llm_hub").enabled is False
    assert FlagChange.objects.get(version=2).actor_kind == "trigger"
    trigger = FlagTrigger.objects.get()
    assert listed == f"{trigger.prefix}  unified_llm_hub  alertmanager  active"
    assert revoked == f"Revoked trigger {trigger.prefix}."
    assert status == "404"


def test_signature_blocks__verify_a_real_delivery(env: dict[str, str], tmp_path: Path) -> None:
    with webhook_receiver(200) as receiver:
        hook = Webhook(name="doc", url=receiver.url)
        hook.secret = SECRET
        hook.save()
        services.flag_disable(name="unified_llm_hub", actor=Actor.system("t"), source="api")
        [delivery] = receiver.wait_for(1)
    header = delivery.headers[HEADER.lower()]
    # the shell block, with the body saved as received
    (tmp_path / "body.json").write_bytes(delivery.body)
    shell = _block("openssl dgst")
    assert (
        _run(shell, {**env, "SIGNATURE": header, "WEBHOOK_SECRET": SECRET}, tmp_path) == "valid\n"
    )
    refused = subprocess.run(
        ["bash", "-uo", "pipefail", "-c", shell],
        cwd=tmp_path,
        env={**env, "SIGNATURE": header, "WEBHOOK_SECRET": "not-the-secret-000000"},
        capture_output=True,
        text=True,
    )
    assert refused.stdout == ""
    # the Python snippet
    namespace: dict[str, Any] = {}
    exec(_blocks("python")[0], namespace)
    assert namespace["verified"](SECRET, header, delivery.body)
    assert not namespace["verified"](SECRET, header, delivery.body + b"x")
    old = re.sub(r"t=\d+", "t=1000000000", header)
    assert not namespace["verified"](SECRET, old, delivery.body)


def test_webhook_commands(env: dict[str, str]) -> None:
    hook = Webhook(name="doc", url="http://127.0.0.1:9/unreachable")
    hook.secret = SECRET
    hook.save()
    assert _run(_block("send-due"), env).startswith("Attempted 0 deliveries")
    assert (
        _run(_block("rotate-secrets"), env)
        == "Re-encrypted 1 webhook secret(s) with the newest key.\n"
    )
    assert Webhook.objects.get().secret == SECRET
