"""OFREP: responses validated against the protocol's own OpenAPI document (shared/vectors)."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import jsonschema
import pytest
import yaml

from flags.evaluation import bucket
from flags.tests.api.conftest import Api, error_of, make_flag, make_user
from flags.tests.support.vectors import vectors_dir
from flags.testutils import override_flag

pytestmark = pytest.mark.django_db
SPEC = vectors_dir() / "ofrep" / "service" / "openapi.yaml"
SINGLE = "/ofrep/v1/evaluate/flags/"
BULK = "/ofrep/v1/evaluate/flags"


@cache
def _components() -> dict[str, Any]:
    assert SPEC.exists(), f"the OFREP specification is expected at {SPEC}"
    document = yaml.safe_load(SPEC.read_text())
    components = copy.deepcopy(document["components"])
    # The spec's codeDefaultFlag ("no value property", says its description) is written as any
    # object, so every boolean answer would match two branches of evaluationSuccess's oneOf.
    # Say what the description says, so oneOf can tell them apart.
    components["schemas"]["codeDefaultFlag"]["not"] = {"required": ["value"]}
    return components


def assert_matches(schema_name: str, body: Any) -> None:
    """Validate against components/schemas/<name> (OpenAPI 3.1 = JSON Schema 2020-12)."""
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": _components()}
    jsonschema.Draft202012Validator(schema).validate(body)


def _subject(percentage: int, inside: bool, flag: str = "hub") -> str:
    return next(f"u{i}" for i in range(10_000) if (bucket(flag, f"u{i}") <= percentage) is inside)


@pytest.mark.parametrize(
    ("config", "subject", "value", "reason", "ours"),
    [
        ({"rollout_percentage": 100}, "bob", True, "STATIC", "FULL_ROLLOUT"),
        ({"rollout_percentage": 0}, "bob", False, "STATIC", "DEFAULT"),
        ({"enabled": False, "rollout_percentage": 100}, "bob", False, "DISABLED", "DISABLED"),
        ({"whitelist_users": ["bob"]}, "bob", True, "TARGETING_MATCH", "WHITELISTED"),
        (
            {"blacklist_users": ["bob"], "rollout_percentage": 100},
            "bob",
            False,
            "TARGETING_MATCH",
            "BLACKLISTED",
        ),
        (
            {"rollout_percentage": 100, "starts_at": "2999-01-01T00:00:00Z"},
            "bob",
            False,
            "TARGETING_MATCH",
            "OUTSIDE_WINDOW",
        ),
        ({"rollout_percentage": 50}, _subject(50, True), True, "SPLIT", "ROLLOUT"),
        ({"rollout_percentage": 50}, _subject(50, False), False, "SPLIT", "DEFAULT"),
    ],
)
def test_single__reason_mapping__valid_ofrep_success(
    admin_api: Api, config: dict, subject: str, value: bool, reason: str, ours: str
) -> None:
    make_flag("hub", **config)

    response = admin_api.post(f"{SINGLE}hub", {"context": {"targetingKey": subject, "tier": "x"}})

    assert response.status_code == 200
    body = response.json()
    assert_matches("serverEvaluationSuccess", body)
    assert (body["value"], body["reason"], body["variant"]) == (
        value,
        reason,
        "on" if value else "off",
    )
    assert body["metadata"] == {"reason": ours, "version": 1}


def test_single__unknown_flag__404_flag_not_found(admin_api: Api) -> None:
    response = admin_api.post(f"{SINGLE}nope", {"context": {"targetingKey": "bob"}})
    assert response.status_code == 404
    assert_matches("flagNotFound", response.json())
    assert response.json()["errorCode"] == "FLAG_NOT_FOUND"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"context": {}}, "TARGETING_KEY_MISSING"),
        ({"context": {"targetingKey": ""}}, "TARGETING_KEY_MISSING"),
        ({"context": {"targetingKey": 5}}, "INVALID_CONTEXT"),
        # The one user-id rule (flags.validation.is_user_id), as for ?user_id= and the lists:
        ({"context": {"targetingKey": "   "}}, "INVALID_CONTEXT"),
        ({"context": {"targetingKey": "b" * 201}}, "INVALID_CONTEXT"),
        ({"context": "bob"}, "INVALID_CONTEXT"),
        ({}, "INVALID_CONTEXT"),
        (b'{"context": ', "PARSE_ERROR"),
        (b'{"context": {"targetingKey": "a\\u0000"}}', "PARSE_ERROR"),
    ],
)
def test_single__bad_context__400_evaluation_failure(admin_api: Api, body: Any, code: str) -> None:
    make_flag("hub")
    response = admin_api.post(f"{SINGLE}hub", body)
    assert response.status_code == 400
    assert_matches("evaluationFailure", response.json())
    assert response.json()["errorCode"] == code


def test_bulk__every_flag__valid_bulk_success_with_etag(admin_api: Api) -> None:
    for index in range(20):
        make_flag(f"f{index:02}", rollout_percentage=index * 5)

    response = admin_api.post(BULK, {"context": {"targetingKey": "bob", "plan": "pro"}})

    assert response.status_code == 200
    body = response.json()
    assert_matches("bulkEvaluationSuccess", body)
    assert [flag["key"] for flag in body["flags"]] == [f"f{i:02}" for i in range(20)]
    assert response["ETag"].startswith('"')


def test_bulk__matching_if_none_match__304_without_body(admin_api: Api) -> None:
    make_flag("hub", rollout_percentage=100)
    context = {"context": {"targetingKey": "bob"}}
    etag = admin_api.post(BULK, context)["ETag"]

    response = admin_api.post(BULK, context, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


def test_bulk__etag_changes_with_flags_context_and_overrides(
    admin_api: Api, django_capture_on_commit_callbacks: Any
) -> None:
    make_flag("hub")
    bob = {"context": {"targetingKey": "bob"}}
    first = admin_api.post(BULK, bob)["ETag"]

    assert admin_api.post(BULK, {"context": {"targetingKey": "amy"}})["ETag"] != first
    with django_capture_on_commit_callbacks(execute=True):  # publishes the new revision
        admin_api.post("/api/v1/features/hub/rollout/30")
    after_change = admin_api.post(BULK, bob)["ETag"]
    assert after_change != first
    with override_flag("hub", active=True):
        assert admin_api.post(BULK, bob)["ETag"] != after_change
    assert admin_api.post(BULK, bob, HTTP_IF_NONE_MATCH=first).status_code == 200


def test_bulk__etag_changes_when_a_date_window_opens(
    admin_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flags.ofrep import mapping

    make_flag("hub", rollout_percentage=100, starts_at="2030-01-01T00:00:00Z")
    bob = {"context": {"targetingKey": "bob"}}
    before = admin_api.post(BULK, bob)["ETag"]
    monkeypatch.setattr(mapping.time, "time", lambda: 1_900_000_000.0)  # 2030-03-17
    assert admin_api.post(BULK, bob)["ETag"] != before


def test_bulk__missing_targeting_key__400_bulk_failure(admin_api: Api) -> None:
    response = admin_api.post(BULK, {"context": {"plan": "pro"}})
    assert response.status_code == 400
    assert_matches("bulkEvaluationFailure", response.json())


def test_ofrep__x_api_key_read_token__works(api_for: Any) -> None:
    make_flag("hub", rollout_percentage=100)
    api = api_for(make_user("sdk", ("view_flag",)), "read", header="x-api-key")
    assert api.post(f"{SINGLE}hub", {"context": {"targetingKey": "bob"}}).json()["value"] is True


def test_ofrep__anonymous__401_and_token_without_view_flag__403(api_for: Any) -> None:
    from django.test import Client

    make_flag("hub")
    body = '{"context": {"targetingKey": "bob"}}'
    anonymous = Client().post(f"{SINGLE}hub", body, content_type="application/json")
    assert anonymous.status_code == 401
    assert error_of(anonymous)["code"] == "not_authenticated"
    api = api_for(make_user("nobody"), "read")
    assert api.post(f"{SINGLE}hub", {"context": {"targetingKey": "bob"}}).status_code == 403
