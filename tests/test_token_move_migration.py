"""API tokens moved from the flags app to the tokens app (llmhub.api.tokens) in Django's state
only: a database with tokens keeps them, rows untouched, and the permissions people held on
tokens follow the model (the content type is renamed, not replaced)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import StateApps
from django.test import Client

from llmhub.api.tokens.models import ApiToken, token_hash
from llmhub.api.tokens.services import token_cache

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_THE_MOVE = [("tokens", None), ("flags", "0002_apitoken")]


@pytest.fixture
def migrated_back() -> Iterator[MigrationExecutor]:
    """The database as it was before the move; migrated forward again whatever the test did."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_THE_MOVE)
    try:
        yield MigrationExecutor(connection)
    finally:
        call_command("migrate", verbosity=0)
        ContentType.objects.clear_cache()


def _old_state(executor: MigrationExecutor) -> StateApps:
    """The models as they were before the move (flags 0002, with auth and content types)."""
    graph = executor.loader.graph
    django_apps = [node for node in graph.leaf_nodes() if node[0] in ("auth", "contenttypes")]
    return executor.loader.project_state([("flags", "0002_apitoken"), *django_apps]).apps


def _old_token_with_a_granted_permission(executor: MigrationExecutor) -> tuple[int, str]:
    """Before the move: a token row in flags_apitoken, and `flags.view_apitoken` given to ann."""
    apps = _old_state(executor)
    user = apps.get_model("auth", "User").objects.create(username="ann", is_staff=True)
    # (The test database may have them already: created with it, and migrated back.)
    content_type, _ = apps.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="flags", model="apitoken"
    )
    permission, _ = apps.get_model("auth", "Permission").objects.get_or_create(
        content_type=content_type, codename="view_apitoken", defaults={"name": "Can view"}
    )
    user.user_permissions.add(permission)
    raw = "lhk_0123abcd_secret-of-a-token-made-before-the-move"
    token = apps.get_model("flags", "ApiToken").objects.create(
        user=user, label="billing-svc", prefix="lhk_0123abcd", key_hash=token_hash(raw)
    )
    return token.pk, raw


def test_token_move__existing_tokens__keep_their_rows_and_still_authenticate(
    migrated_back: MigrationExecutor,
) -> None:
    # given a token stored before the move
    token_id, raw = _old_token_with_a_granted_permission(migrated_back)

    # when the database is migrated to today's state
    call_command("migrate", verbosity=0)

    # then the same row is the tokens app's token, and it still authenticates
    token = ApiToken.objects.get(pk=token_id)
    assert (token.label, token.prefix, token.user.get_username()) == (
        "billing-svc",
        "lhk_0123abcd",
        "ann",
    )
    assert ApiToken._meta.db_table == "flags_apitoken"
    token_cache.clear()
    identity = token_cache.load(token_hash(raw))
    assert identity is not None and identity.token_id == token_id


def test_token_move__a_permission_held_on_tokens__follows_the_model(
    migrated_back: MigrationExecutor,
) -> None:
    # given ann holding flags.view_apitoken before the move
    _old_token_with_a_granted_permission(migrated_back)

    # when the database is migrated to today's state
    call_command("migrate", verbosity=0)

    # then the same permission row now reads tokens.view_apitoken, and ann still holds it
    ContentType.objects.clear_cache()
    assert not ContentType.objects.filter(app_label="flags", model="apitoken").exists()
    permission = Permission.objects.get(codename="view_apitoken")
    assert permission.content_type.app_label == "tokens"
    ann = get_user_model().objects.get(username="ann")
    assert ann.has_perm("tokens.view_apitoken")


def test_token_move__migrated_back__gives_the_model_and_its_content_type_back(
    migrated_back: MigrationExecutor,
) -> None:
    # given a database moved forward, with the tokens app's content type
    _old_token_with_a_granted_permission(migrated_back)
    call_command("migrate", verbosity=0)

    # when it is migrated back before the move
    MigrationExecutor(connection).migrate(BEFORE_THE_MOVE)

    # then the flags app owns tokens again, rows and permissions with it
    apps = _old_state(MigrationExecutor(connection))
    assert apps.get_model("flags", "ApiToken").objects.get().label == "billing-svc"
    content_types = apps.get_model("contenttypes", "ContentType").objects
    assert content_types.filter(app_label="flags", model="apitoken").count() == 1
    assert not content_types.filter(app_label="tokens").exists()


def test_old_token_admin_links__lead_to_the_tokens_app(admin_client: Client) -> None:
    response = admin_client.get("/admin/flags/apitoken/?scope__exact=write")
    assert response.status_code == 302
    assert response["Location"] == "/admin/tokens/apitoken/?scope__exact=write"
    assert admin_client.get(response["Location"]).status_code == 200
    assert Client().get("/admin/flags/apitoken/")["Location"].startswith("/admin/login/")
