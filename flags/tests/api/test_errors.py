"""One error shape everywhere, and hostile bodies answered with a 4xx that changes nothing."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client, override_settings
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate

from flags.api.common import FlagAPIView, validated
from flags.models import Flag, FlagChange
from flags.tests.api.conftest import Api, error_of, make_flag
from llmhub.api.handlers import json_server_error

pytestmark = pytest.mark.django_db
BASE = "/api/v1/features/"


def _nothing_written() -> bool:
    return not Flag.objects.exists() and not FlagChange.objects.exists()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b'{"name": "hub", "description": "a\\u0000b"}', 400),  # NUL in a value
        (b'{"name": "hub", "tags": ["x\\u0000"]}', 400),  # NUL nested in a list
        (b'{"name": "hub", "a\\u0000": 1}', 400),  # NUL in a key
        (b'{"name": "hub", "description": "\\ud800"}', 400),  # lone surrogate
        (b'{"name": "hub", "description": "\xff\xfe"}', 400),  # not UTF-8
        (b'{"name": "hub", "description": "caf\xe9"}', 400),  # Latin-1, not UTF-8
        (b'{"name": "hub", "name": "other"}', 400),  # duplicate key
        (b'{"name": "hub", "rollout_percentage": NaN}', 400),
        (b'{"name": "hub",', 400),  # truncated
        (b"[" * 100_000 + b"]" * 100_000, 400),  # nested far too deep
        (b'{"name": "hub", "owner": ' + b"[" * 40 + b"]" * 40 + b"}", 400),  # 41 levels
        (b'{"name": "hub", "rollout_percentage": 1' + b"0" * 5000 + b"}", 400),  # huge int
    ],
)
def test_create__hostile_body__4xx_and_nothing_written(
    admin_api: Api, body: bytes, status: int
) -> None:
    response = admin_api.post(BASE, body)

    assert response.status_code == status
    assert error_of(response)["code"] in ("parse_error", "invalid")
    assert _nothing_written()


def test_create__body_too_large__413(admin_api: Api) -> None:
    body = json.dumps({"name": "hub", "description": "x" * 300_000}).encode()
    response = admin_api.post(BASE, body)
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"
    assert _nothing_written()


@override_settings(API_MAX_BODY_BYTES=10_000_000, DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_create__over_data_upload_max_memory_size__413(admin_api: Api) -> None:
    response = admin_api.post(BASE, {"name": "hub", "description": "x" * 2000})
    assert response.status_code == 413


def test_patch__nul_in_value__400_and_unchanged(admin_api: Api) -> None:
    make_flag("hub", description="before")
    response = admin_api.patch(f"{BASE}hub", b'{"description": "x\\u0000"}')
    assert response.status_code == 400
    assert Flag.objects.get(name="hub").description == "before"
    assert FlagChange.objects.count() == 1


@pytest.mark.parametrize("name", ["a%00b", "UPPER", "-x", "x" * 101])
def test_write__name_no_flag_can_have__404(admin_api: Api, name: str) -> None:
    assert admin_api.post(f"{BASE}{name}/disable").status_code == 404
    assert admin_api.get(f"{BASE}{name}/history").status_code == 404


def test_evaluate__user_id_with_nul__400(admin_api: Api) -> None:
    make_flag("hub")
    assert admin_api.get(f"{BASE}hub?user_id=a%00b").status_code == 400


def test_form_body__415(admin_api: Api) -> None:
    response = admin_api.post(BASE, "name=hub", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_method_not_allowed__405(admin_api: Api) -> None:
    response = admin_api.call("PUT", BASE, {"name": "x"})
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_unknown_api_path__json_404() -> None:
    response = Client().get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


@override_settings(DEBUG=True)  # as under `make run`, where Django shows its HTML pages
@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/ofrep/v1/nothing-here"])
def test_debug__unknown_api_path__json_404(path: str) -> None:
    response = Client().get(path)
    assert (response.status_code, error_of(response)["code"]) == (404, "not_found")


@override_settings(DEBUG=True)
def test_debug__api_404s_and_slash_redirects_unchanged(admin_api: Api) -> None:
    response = admin_api.get(BASE + "no-such-flag")  # the view's own 404 keeps its code
    assert (response.status_code, error_of(response)["code"]) == (404, "not_found")
    response = Client().get(BASE.rstrip("/"))  # CommonMiddleware's APPEND_SLASH still applies
    assert (response.status_code, response["Location"]) == (301, BASE)


@override_settings(DEBUG=True)
def test_debug__other_unknown_paths__django_page() -> None:
    response = Client().get("/no-such-page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_server_error_handler__json_for_api_paths() -> None:
    from django.test import RequestFactory

    response = json_server_error(RequestFactory().get("/api/v1/features/hub"))
    assert response.status_code == 500
    assert json.loads(response.content)["error"]["code"] == "server_error"


def test_validation_error__names_every_bad_field(admin_api: Api) -> None:
    response = admin_api.post(BASE, {"name": "hub", "enabled": "yes", "owner": 5, "extra": 1})
    fields = error_of(response)["fields"]
    assert {"extra"} <= set(fields)  # unknown fields are refused before values are checked
    response = admin_api.post(BASE, {"name": "hub", "enabled": "yes", "owner": 5})
    assert {"enabled", "owner"} <= set(error_of(response)["fields"])


class _Constraint(serializers.Serializer):
    attribute = serializers.CharField()
    values = serializers.ListField(child=serializers.CharField(max_length=3))


class _Rule(serializers.Serializer):
    name = serializers.CharField()
    constraints = serializers.ListField(child=_Constraint())


class _RulesInput(serializers.Serializer):
    """Shaped like the targeting issue's rules: lists of objects holding lists."""

    rules = serializers.ListField(child=_Rule())


class _RulesView(FlagAPIView):
    permission_classes: list = []
    required_permissions = {"POST": None}

    def post(self, request: Request) -> Response:
        validated(request, _RulesInput)
        return Response(status=204)


def test_validation_error__nested_lists_and_objects__fields_named_by_bracket_paths() -> None:
    # given a flags API view whose input nests objects in lists in objects in lists
    body = {
        "rules": [
            {"name": "beta", "constraints": [{"attribute": "tier", "values": ["pro"]}]},
            {
                "name": "eu",
                "constraints": [
                    {"attribute": "c"},
                    {"attribute": "c", "values": ["ok", "dk", "long"]},
                ],
            },
            {"constraints": []},
            "not-a-rule",
        ]
    }
    request = APIRequestFactory().post("/api/v1/features/", body, format="json")
    force_authenticate(request, user=AnonymousUser())

    # when it is refused
    response = _RulesView.as_view()(request)

    # then each problem is named by its path from the body's top: `.member` and `[index]`
    assert response.status_code == 400
    fields = response.data["error"]["fields"]
    assert set(fields) == {
        "rules[1].constraints[0].values",
        "rules[1].constraints[1].values[2]",
        "rules[2].name",
        "rules[3]",
    }
    assert fields["rules[1].constraints[1].values[2]"] == [
        "Ensure this field has no more than 3 characters."
    ]
    assert "rules[2].name: This field is required." in response.data["error"]["message"]


def test_validation_error__flat_fields__named_as_before(admin_api: Api) -> None:
    make_flag("hub")
    response = admin_api.patch(f"{BASE}hub", {"rollout_percentage": "50", "extra": 1})
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"extra"}
    response = admin_api.patch(f"{BASE}hub", {"rollout_percentage": "50"})
    assert set(error_of(response)["fields"]) == {"rollout_percentage"}
