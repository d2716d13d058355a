"""The /api/v1/features/ endpoints: behaviour, validation, ETags and the audit trail."""

from __future__ import annotations

from typing import Any

import pytest

from flags.evaluation import bucket
from flags.models import Flag, FlagChange
from flags.tests.api.conftest import Api, error_of, make_flag

pytestmark = pytest.mark.django_db
BASE = "/api/v1/features/"
FULL_CONFIG: dict[str, Any] = {
    "description": "new hub",
    "enabled": True,
    "rollout_percentage": 30,
    "rollout_group": "hub",
    "whitelist_users": ["alice"],
    "blacklist_users": [],
    "starts_at": None,
    "ends_at": None,
    "tags": ["hub"],
    "owner": "platform",
}


def _history(name: str = "hub") -> int:
    return FlagChange.objects.filter(flag_name=name).count()


def test_list__tags_filter__keeps_flags_with_any_of_them(admin_api: Api) -> None:
    make_flag("a", tags=["hub"])
    make_flag("b", tags=["billing"])
    make_flag("c")

    response = admin_api.get(f"{BASE}?tags=hub,billing")

    assert response.status_code == 200
    assert [flag["name"] for flag in response.json()["results"]] == ["a", "b"]
    assert response.json()["results"][0]["tags"] == ["hub"]


def test_list__bad_tag__400(admin_api: Api) -> None:
    response = admin_api.get(f"{BASE}?tags=Not%20a%20tag")
    assert response.status_code == 400
    assert "tags" in error_of(response)["fields"]


def test_create__valid__201_with_location_etag_and_history(admin_api: Api) -> None:
    response = admin_api.post(BASE, {"name": "hub", **FULL_CONFIG, "comment": "launch"})

    assert response.status_code == 201
    assert response["Location"].endswith("/api/v1/features/hub")
    assert response["ETag"] == '"1"'
    assert response.json()["rollout_percentage"] == 30
    change = FlagChange.objects.get(flag_name="hub")
    assert (change.actor_kind, change.source, change.comment) == ("token", "api", "launch")
    assert change.actor.startswith("ops (token tests lhk_")


def test_create__existing_name__409(admin_api: Api) -> None:
    make_flag("hub")
    response = admin_api.post(BASE, {"name": "hub"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"


@pytest.mark.parametrize(
    "body",
    [
        {"name": "hub", "version": 3},
        {"name": "hub", "created_at": "2026-01-01T00:00:00Z"},
        {"name": "hub", "history": []},
        {"name": "Bad Name"},
        {"rollout_percentage": 10},
        ["hub"],
    ],
)
def test_create__bad_body__400_and_nothing_written(admin_api: Api, body: Any) -> None:
    response = admin_api.post(BASE, body)

    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid"
    assert not Flag.objects.exists()
    assert not FlagChange.objects.exists()


@pytest.mark.parametrize("value", [150, -1, 50.5, "50", True, None, [50], {"v": 50}])
def test_patch__bad_rollout_percentage__400_names_the_field(admin_api: Api, value: Any) -> None:
    make_flag("hub", rollout_percentage=10)

    response = admin_api.patch(f"{BASE}hub", {"rollout_percentage": value})

    assert response.status_code == 400
    assert "rollout_percentage" in error_of(response)["fields"]
    assert Flag.objects.get(name="hub").rollout_percentage == 10
    assert _history() == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"whitelist_users": [""]},
        {"whitelist_users": "alice"},
        {"whitelist_users": ["x" * 201]},
        {"starts_at": "2026-12-01T09:00:00"},
        {"starts_at": "2026-12-02T00:00:00Z", "ends_at": "2026-12-01T00:00:00Z"},
        {"starts_at": "9999-12-31T23:00:00-14:00"},  # past year 9999 in UTC
        {"ends_at": "0001-01-01T00:00:00+14:00"},  # before year 1 in UTC
        {"tags": ["UPPER"]},
        {"enabled": "yes"},
        {"updated_at": "2026-12-01T09:00:00Z"},
    ],
)
def test_patch__invalid_config__400_and_unchanged(admin_api: Api, changes: dict) -> None:
    make_flag("hub")
    response = admin_api.patch(f"{BASE}hub", changes)
    assert response.status_code == 400
    assert error_of(response)["fields"]
    assert _history() == 1


def test_put__full_config__replaces_and_returns_etag(admin_api: Api) -> None:
    make_flag("hub", rollout_percentage=5, owner="someone")

    response = admin_api.put(f"{BASE}hub", FULL_CONFIG, HTTP_IF_MATCH='"1"')

    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    body = response.json()
    assert {key: body[key] for key in FULL_CONFIG} == FULL_CONFIG


def test_put__missing_fields__400_lists_them(admin_api: Api) -> None:
    make_flag("hub")
    response = admin_api.put(f"{BASE}hub", {"enabled": True})
    assert response.status_code == 400
    assert {"description", "rollout_percentage", "owner"} <= set(error_of(response)["fields"])


def test_patch__stale_if_match__412_and_nothing_changes(admin_api: Api) -> None:
    make_flag("hub")
    admin_api.patch(f"{BASE}hub", {"description": "v2"})

    response = admin_api.patch(f"{BASE}hub", {"description": "v3"}, HTTP_IF_MATCH='"1"')

    assert response.status_code == 412
    assert error_of(response)["code"] == "stale_version"
    assert Flag.objects.get(name="hub").description == "v2"
    assert _history() == 2


def test_patch__malformed_if_match__412(admin_api: Api) -> None:
    make_flag("hub")
    response = admin_api.patch(f"{BASE}hub", {"description": "x"}, HTTP_IF_MATCH="v1")
    assert response.status_code == 412
    assert error_of(response)["code"] == "precondition_failed"


def test_patch__unknown_flag__404(admin_api: Api) -> None:
    response = admin_api.patch(f"{BASE}nope", {"description": "x"})
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_delete__204_and_audited(admin_api: Api) -> None:
    make_flag("hub")

    response = admin_api.delete(f"{BASE}hub")

    assert response.status_code == 204
    assert not Flag.objects.filter(name="hub").exists()
    last = FlagChange.objects.filter(flag_name="hub").order_by("-version").first()
    assert last is not None and last.action == "delete" and last.actor_kind == "token"


def test_enable__flips_only_the_kill_switch(admin_api: Api) -> None:
    make_flag("hub", enabled=False, rollout_percentage=25)

    response = admin_api.post(f"{BASE}hub/enable")

    assert response.status_code == 200
    assert (response.json()["enabled"], response.json()["rollout_percentage"]) == (True, 25)
    assert FlagChange.objects.filter(flag_name="hub").first().action == "enable"


def test_disable__blocks_everyone(admin_api: Api) -> None:
    make_flag("hub", enabled=True, rollout_percentage=100)
    assert admin_api.post(f"{BASE}hub/disable", {"comment": "incident"}).status_code == 200
    assert admin_api.get(f"{BASE}hub?user_id=bob").json()["reason"] == "DISABLED"


@pytest.mark.parametrize("percent", ["150", "-1", "50.5", "abc", "١٢"])
def test_rollout__not_an_integer_0_100__400(admin_api: Api, percent: str) -> None:
    make_flag("hub", rollout_percentage=10)
    response = admin_api.post(f"{BASE}hub/rollout/{percent}")
    assert response.status_code == 400
    assert "rollout_percentage" in error_of(response)["fields"]
    assert _history() == 1


def test_rollout__sets_percentage(admin_api: Api) -> None:
    make_flag("hub")
    response = admin_api.post(f"{BASE}hub/rollout/40")
    assert response.status_code == 200
    assert response.json()["rollout_percentage"] == 40


def test_evaluate__privileged_token__result_and_config_for_user_id(admin_api: Api) -> None:
    make_flag("hub", rollout_percentage=50)
    inside = next(f"u{i}" for i in range(1000) if bucket("hub", f"u{i}") <= 50)

    body = admin_api.get(f"{BASE}hub?user_id={inside}").json()

    assert (body["flag"], body["enabled"], body["reason"], body["version"]) == (
        "hub",
        True,
        "ROLLOUT",
        1,
    )
    assert body["config"]["rollout_percentage"] == 50


def test_evaluate__unknown_flag__404(admin_api: Api) -> None:
    response = admin_api.get(f"{BASE}nope")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_enabled_for_user__lists_flags_on_for_them(admin_api: Api) -> None:
    make_flag("a", rollout_percentage=100)
    make_flag("b", whitelist_users=["bob"])
    make_flag("c", enabled=False, rollout_percentage=100)

    response = admin_api.get(f"{BASE}user/bob/enabled")

    assert response.json() == {"user_id": "bob", "enabled": ["a", "b"]}


def test_history__newest_first_and_paginated(admin_api: Api) -> None:
    make_flag("hub")
    for percent in range(1, 5):
        admin_api.post(f"{BASE}hub/rollout/{percent}")

    page = admin_api.get(f"{BASE}hub/history?page_size=2").json()

    assert page["count"] == 5
    assert [row["version"] for row in page["results"]] == [5, 4]
    assert page["next"] is not None
    second = admin_api.get(f"{BASE}hub/history?page_size=2&page=2").json()
    assert [row["version"] for row in second["results"]] == [3, 2]


def test_history__unknown_flag__404(admin_api: Api) -> None:
    assert admin_api.get(f"{BASE}nope/history").status_code == 404


def test_rollback__restores_config_as_new_version(admin_api: Api) -> None:
    make_flag("hub", rollout_percentage=10)
    admin_api.post(f"{BASE}hub/rollout/90")

    response = admin_api.post(f"{BASE}hub/rollback/1")

    assert response.status_code == 200
    assert (response.json()["rollout_percentage"], response.json()["version"]) == (10, 3)
    assert FlagChange.objects.filter(flag_name="hub").first().action == "rollback"


@pytest.mark.parametrize("version", ["99", "99999999999999999999", "x"])
def test_rollback__unknown_version__4xx(admin_api: Api, version: str) -> None:
    make_flag("hub")
    response = admin_api.post(f"{BASE}hub/rollback/{version}")
    assert response.status_code in (400, 404)
    assert _history() == 1


def test_options__not_part_of_the_api__405(admin_api: Api) -> None:
    response = admin_api.call("OPTIONS", BASE)
    assert response.status_code == 405
    assert "GET" in response["Allow"]


def test_head__answers_like_get_without_a_body(admin_api: Api) -> None:
    make_flag("hub")
    response = admin_api.call("HEAD", f"{BASE}hub?user_id=bob")
    assert response.status_code == 200
