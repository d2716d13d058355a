"""The plan API: /api/v1/features/{name}/plan, its permissions, validation and error shape."""

from __future__ import annotations

import pytest
from django.test import Client

from flags.models import Flag, FlagChange
from flags.tests.api.conftest import Api, make_flag, make_token, make_user
from llmhub.api.ratelimit import limiter
from llmhub.api.tokens.services import token_cache
from rollout.models import RolloutPlan

pytestmark = pytest.mark.django_db

URL = "/api/v1/features/hub/plan"


@pytest.fixture(autouse=True)
def _fresh_api_state():
    token_cache.clear()
    limiter.reset()
    yield
    token_cache.clear()


def _api(perms: tuple[str, ...], scope: str = "write") -> Api:
    user = make_user(f"u-{len(perms)}-{scope}", perms)
    return Api(Client(), {"HTTP_AUTHORIZATION": f"Bearer {make_token(user, scope)}"})


@pytest.fixture
def writer() -> Api:
    return _api(("view_flag", "change_flag"))


def test_create_from_template__201_with_the_timeline_and_etag(writer: Api) -> None:
    make_flag(rollout_percentage=3)

    response = writer.post(URL, {"comment": "go"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert [s["percentage"] for s in body["steps"]] == [0, 10, 25, 50, 90, 100]
    assert body["state"] == "active" and body["steps"][0]["current"] is True
    assert response["ETag"] == f'"{body["version"]}"'
    assert Flag.objects.get().rollout_percentage == 0
    change = FlagChange.objects.first()
    assert change.source == "schedule" and change.actor.startswith("u-2-write (token tests")
    assert change.details["decision"] == "start" and "go" in change.details["reason"]


def test_create__own_steps_and_thresholds(writer: Api) -> None:
    make_flag()
    steps = [
        {"name": "team", "percentage": 0, "min_dwell_seconds": 60},
        {"name": "all", "percentage": 100, "min_dwell_seconds": 0, "max_dwell_seconds": None},
    ]

    response = writer.post(URL, {"steps": steps, "min_requests": 200, "window_minutes": 30})

    assert response.status_code == 201, response.content
    plan = RolloutPlan.objects.get()
    assert (plan.min_requests, plan.window_minutes, plan.steps.count()) == (200, 30, 2)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {
                "steps": [
                    {"name": "a", "percentage": 50, "min_dwell_seconds": 0},
                    {"name": "b", "percentage": 10, "min_dwell_seconds": 0},
                ]
            },
            "steps[1].percentage",
        ),
        (
            {"steps": [{"name": "a", "percentage": "50", "min_dwell_seconds": 0}] * 2},
            "steps[0].percentage",
        ),
        (
            {
                "steps": [
                    {"name": "a", "percentage": 0, "min_dwell_seconds": 5, "max_dwell_seconds": 1}
                ]
                * 2
            },
            "steps[0].max_dwell_seconds",
        ),
        ({"error_ceiling": 2}, "error_ceiling"),
        ({"confidence": "0.99"}, "confidence"),
        ({"surprise": 1}, "surprise"),
        ({"template": "other"}, "template"),
    ],
)
def test_create__bad_input__400_naming_the_field_and_nothing_written(
    writer: Api, body, field
) -> None:
    make_flag()

    response = writer.post(URL, body)

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"], error
    assert not RolloutPlan.objects.exists()


def test_create__unknown_flag_404_running_plan_409(writer: Api) -> None:
    assert writer.post("/api/v1/features/nope/plan").json()["error"]["code"] == "not_found"
    make_flag()
    assert writer.post(URL).status_code == 201
    response = writer.post(URL)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "conflict")


def test_permissions__read_needs_privilege__writes_need_change_flag() -> None:
    make_flag()
    anonymous = Api(Client())
    reader = _api(("view_flag",))
    readonly = _api(("view_flag", "change_flag"), scope="read")
    assert anonymous.post(URL).status_code == 401
    assert reader.post(URL).status_code == 403
    assert readonly.post(URL).status_code == 403
    assert not RolloutPlan.objects.exists()
    assert reader.get(URL).status_code == 404  # allowed to read; there is no plan yet


def test_actions__pause_resume_advance_abort_and_if_match(writer: Api) -> None:
    make_flag()
    version = writer.post(URL).json()["version"]

    stale = writer.post(f"{URL}/pause", HTTP_IF_MATCH=f'"{version + 5}"')
    paused = writer.post(f"{URL}/pause", HTTP_IF_MATCH=f'"{version}"')
    again = writer.post(f"{URL}/pause")
    resumed = writer.post(f"{URL}/resume")
    advanced = writer.post(f"{URL}/advance")
    aborted = writer.post(f"{URL}/abort")

    assert (stale.status_code, stale.json()["error"]["code"]) == (412, "stale_version")
    assert paused.json()["state"] == "paused"
    assert (again.status_code, again.json()["error"]["code"]) == (409, "invalid_state")
    assert resumed.json()["state"] == "active"
    assert advanced.json()["position"] == 1 and Flag.objects.get().rollout_percentage == 10
    assert aborted.json()["state"] == "aborted"
    assert writer.get(URL).json()["state"] == "aborted"


def test_actions__body_other_than_a_comment__400(writer: Api) -> None:
    make_flag()
    writer.post(URL)
    response = writer.post(f"{URL}/pause", {"state": "active"})
    assert response.status_code == 400 and "state" in response.json()["error"]["fields"]


def test_schema__documents_the_plan_routes(writer: Api) -> None:
    staff = make_user("doc", ("view_flag",), staff=True)
    client = Client()
    client.force_login(staff)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("/plan", "/plan/pause", "/plan/resume", "/plan/advance", "/plan/abort"):
        assert f"/api/v1/features/{{name}}{path}" in schema
