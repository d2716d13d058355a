"""CORS: browser front ends on the listed origins may call the flag API and OFREP, nothing else.

Preflights (OPTIONS with Access-Control-Request-Method) as a browser sends them, through Django
and through the evaluation lane of llmhub/wsgi.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

from flags.tests.api.conftest import Api, make_flag, make_token, make_user
from flags.tests.api.test_fastpath import Lane, answered  # noqa: F401  (fixture)
from llmhub.api.tokens.services import token_cache

pytestmark = pytest.mark.django_db
APP = "https://app.example.com"
ALLOWED = override_settings(CORS_ALLOWED_ORIGINS=[APP])


def _preflight(client: Client, path: str, origin: str = APP, method: str = "GET") -> Any:
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, if-match",
    )


def test_preflight__nothing_configured__no_origin_allowed(client: Client) -> None:
    response = _preflight(client, "/api/v1/features/hub")
    assert "Access-Control-Allow-Origin" not in response.headers


@ALLOWED
@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/features/hub", "GET"),
        ("/api/v1/features/hub", "PATCH"),
        ("/api/v1/features/", "GET"),
        ("/ofrep/v1/evaluate/flags/hub", "POST"),
        ("/ofrep/v1/evaluate/flags", "POST"),
    ],
)
def test_preflight__listed_origin__api_and_ofrep_allowed(
    client: Client, path: str, method: str
) -> None:
    response = _preflight(client, path, method=method)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert method in response.headers["Access-Control-Allow-Methods"]
    allowed_headers = response.headers["Access-Control-Allow-Headers"]
    assert {"authorization", "if-match"} <= set(allowed_headers.split(", "))
    # Credentials are off unless configured.
    assert "Access-Control-Allow-Credentials" not in response.headers


@ALLOWED
@pytest.mark.parametrize("origin", ["https://evil.example.com", "http://app.example.com", "null"])
def test_preflight__other_origin__refused(client: Client, origin: str) -> None:
    response = _preflight(client, "/api/v1/features/hub", origin=origin)
    assert "Access-Control-Allow-Origin" not in response.headers


@ALLOWED
@pytest.mark.parametrize(
    "path",
    ["/admin/login/", "/admin/llm-management/", "/api/v1/telemetry/events", "/readyz", "/api/v2/x"],
)
def test_preflight__paths_outside_api_and_ofrep__never_allowed(client: Client, path: str) -> None:
    response = _preflight(client, path, method="POST")
    assert "Access-Control-Allow-Origin" not in response.headers


@override_settings(CORS_ALLOWED_ORIGINS=[APP], CORS_ALLOW_CREDENTIALS=True)
def test_preflight__credentials_configured__allowed(client: Client) -> None:
    response = _preflight(client, "/api/v1/features/hub")
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


@ALLOWED
def test_cross_origin_get__answer_carries_origin_and_exposes_etag(client: Client) -> None:
    make_flag("hub", rollout_percentage=100)
    reader = make_user("svc", ("view_flag",))
    api = Api(client, {"HTTP_AUTHORIZATION": f"Bearer {make_token(reader, 'read')}"})
    response = api.get("/api/v1/features/hub", HTTP_ORIGIN=APP)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]


@ALLOWED
def test_evaluation_lane__cross_origin_get__same_cors_headers_as_django(
    client: Client,
    answered: list[str],  # noqa: F811
) -> None:
    make_flag("hub", rollout_percentage=100)
    reader = make_user("svc", ("view_flag",))
    headers = {"HTTP_AUTHORIZATION": f"Bearer {make_token(reader, 'read')}", "HTTP_ORIGIN": APP}
    token_cache.clear()
    lane = Lane(headers)
    lane.get("/api/v1/features/hub")  # cold: Django answers and caches the token
    warm = lane.get("/api/v1/features/hub")
    drf = Api(client, headers).get("/api/v1/features/hub")

    assert answered == ["/api/v1/features/hub"]  # the warm one went through the lane
    cors = {k.lower(): v for k, v in warm.headers.items() if k.lower().startswith("access-")}
    assert cors == {k.lower(): v for k, v in drf.items() if k.lower().startswith("access-")}
    assert cors["access-control-allow-origin"] == APP
    assert warm.headers["Vary"] == drf.headers["Vary"] == "origin"


@ALLOWED
def test_evaluation_lane__preflight__answered_by_django(client: Client) -> None:
    lane = Lane(
        {
            "REQUEST_METHOD": "OPTIONS",
            "HTTP_ORIGIN": APP,
            "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET",
            "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "authorization",
        }
    )
    response = lane.get("/api/v1/features/hub")
    assert response.status_code == 200
    assert {k.lower(): v for k, v in response.headers.items()}["access-control-allow-origin"] == APP


def test_nothing_configured__responses_unchanged_no_vary_origin(client: Client) -> None:
    make_flag("hub", rollout_percentage=100)
    reader = make_user("svc", ("view_flag",))
    api = Api(client, {"HTTP_AUTHORIZATION": f"Bearer {make_token(reader, 'read')}"})
    response = api.get("/api/v1/features/hub", HTTP_ORIGIN=APP)
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "origin" not in response.headers.get("Vary", "").lower()
