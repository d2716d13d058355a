"""GET /api/v1/hub/access: the tier-rule decision for services, in the project's error shape."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from llmhub.actors import Actor
from llmhub.api.ratelimit import limiter
from llmhub.api.tokens.services import token_cache, token_create
from llmhub.hub.seed.loaders import seed_tiers
from llmhub.hub.tests.factories import StaffUserFactory
from telemetry.models import Event

URL = "/api/v1/hub/access"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_api_state() -> Iterator[None]:
    token_cache.clear()
    limiter.reset()
    yield
    token_cache.clear()
    limiter.reset()


@pytest.fixture
def api(client: Client) -> Client:
    seed_tiers()
    client.force_login(StaffUserFactory.create(username="svc"))
    return client


def test_access__allowed__returns_rule_and_caps(api: Client) -> None:
    response = api.get(URL, {"tier": "trial", "model": "ollama/llama3.1:8b"})
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "tier": "trial",
        "model": "ollama/llama3.1:8b",
        "allowed": True,
        "rule": {
            "id": body["rule"]["id"],
            "pattern": "ollama/*",
            "priority": 10,
            "decision": "allow",
            "max_requests_per_day": 100,
            "max_context_length": 2048,
        },
        "max_requests_per_day": 100,
        "max_context_length": 2048,
    }


def test_access__denied_by_rule__names_the_rule_and_zero_caps(api: Client) -> None:
    body = api.get(URL, {"tier": "starter", "model": "openai/gpt-4o"}).json()
    assert (body["allowed"], body["rule"]["pattern"], body["rule"]["decision"]) == (
        False,
        "openai/gpt-4*",
        "deny",
    )
    assert (body["max_requests_per_day"], body["max_context_length"]) == (0, 0)


def test_access__enterprise__unlimited_caps_are_null(api: Client) -> None:
    body = api.get(URL, {"tier": "enterprise", "model": "custom/x"}).json()
    assert body["allowed"] is True
    assert (body["max_requests_per_day"], body["max_context_length"]) == (None, None)


def test_access__tier_without_rules__denied_with_null_rule(api: Client) -> None:
    from llmhub.hub.tests.factories import TierFactory

    TierFactory.create(slug="empty")
    body = api.get(URL, {"tier": "empty", "model": "openai/gpt-4o"}).json()
    assert (body["allowed"], body["rule"]) == (False, None)


def test_access__unknown_tier__is_400_naming_known_tiers(api: Client) -> None:
    response = api.get(URL, {"tier": "platinum", "model": "openai/gpt-4o"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "No tier named 'platinum'" in error["fields"]["tier"][0]
    assert "free, trial, starter, professional, enterprise" in error["fields"]["tier"][0]


@pytest.mark.parametrize(
    ("params", "missing"),
    [({"model": "openai/gpt-4o"}, "tier"), ({"tier": "free"}, "model"), ({}, "tier")],
)
def test_access__missing_parameter__is_400_naming_it(
    api: Client, params: dict[str, str], missing: str
) -> None:
    response = api.get(URL, params)
    assert response.status_code == 400
    assert missing in response.json()["error"]["fields"]


def test_access__overlong_model__is_400(api: Client) -> None:
    response = api.get(URL, {"tier": "free", "model": "x" * 201})
    assert response.status_code == 400
    assert "model" in response.json()["error"]["fields"]


def test_access__anonymous__is_401_in_the_error_shape(client: Client) -> None:
    response = client.get(URL, {"tier": "free", "model": "ollama/x"})
    assert response.status_code == 401
    assert set(response.json()["error"]) >= {"code", "message"}


def test_access__api_token__is_accepted(client: Client) -> None:
    seed_tiers()
    StaffUserFactory.create(username="robot", is_staff=False)
    raw = token_create(username="robot", scope="read", label="tests", actor=Actor.system("test"))[1]
    response = client.get(
        URL, {"tier": "free", "model": "groq/gemma2-9b-it"}, HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert response.status_code == 200 and response.json()["allowed"] is True


def test_access__each_check__is_stored_as_telemetry_for_the_usage_tab(api: Client) -> None:
    api.get(URL, {"tier": "free", "model": "ollama/x"})
    api.get(URL, {"tier": "free", "model": "openai/gpt-4o"})
    checks: list[dict[str, Any]] = list(
        Event.objects.filter(feature="hub_access_check")
        .order_by("id")
        .values("event_type", "user_id", "action", "properties")
    )
    assert [(c["event_type"], c["user_id"], c["action"]) for c in checks] == [
        ("feature_usage", "svc", "allowed"),
        ("feature_usage", "svc", "denied"),
    ]
    assert checks[1]["properties"] == {
        "tier": "free",
        "model": "openai/gpt-4o",
        "pattern": "*",
        "source": "api",
    }


def test_access__bad_request__records_no_access_check(api: Client) -> None:
    api.get(URL, {"tier": "nope", "model": "x"})
    assert not Event.objects.filter(feature="hub_access_check").exists()


@pytest.mark.parametrize(
    "params", [{"tier": "fr\x00ee", "model": "x"}, {"tier": "free", "model": "a\x00b"}]
)
def test_access__nul_byte__is_400_not_500(api: Client, params: dict[str, str]) -> None:
    response = api.get(URL, params)
    assert response.status_code == 400
    assert not Event.objects.filter(feature="hub_access_check").exists()
