"""The OpenAPI schema and the browsable docs: behind authentication, and served without a CDN."""

from __future__ import annotations

import re

import pytest
import yaml
from django.test import Client

from flags.tests.api.conftest import Api, make_user

pytestmark = pytest.mark.django_db


def test_schema__openapi_3_with_every_flags_route(reader_api: Api) -> None:
    response = reader_api.get("/api/schema/")

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    assert {
        "/api/v1/features/",
        "/api/v1/features/{name}",
        "/api/v1/features/{name}/rollout/{percent}",
        "/api/v1/features/{name}/rollback/{version}",
        "/ofrep/v1/evaluate/flags",
        "/ofrep/v1/evaluate/flags/{key}",
    } <= paths
    errors = schema["paths"]["/api/v1/features/{name}"]["patch"]["responses"]
    assert {"400", "401", "403", "404", "412", "429"} <= set(errors)


def test_schema__every_operation__documents_the_outage_503_with_retry_after(
    reader_api: Api,
) -> None:
    schema = yaml.safe_load(reader_api.get("/api/schema/").content)

    operations = [op for item in schema["paths"].values() for op in item.values()]
    assert operations
    for operation in operations:
        unavailable = operation["responses"]["503"]
        assert "database_unavailable" in unavailable["description"]
        assert "Retry-After" in unavailable["headers"]


def test_schema__telemetry_batch__documents_413_for_too_many_events(reader_api: Api) -> None:
    schema = yaml.safe_load(reader_api.get("/api/schema/").content)

    too_large = schema["paths"]["/api/v1/telemetry/events"]["post"]["responses"]["413"]
    assert "500 events" in too_large["description"]


def test_docs__staff_session__page_uses_only_local_assets() -> None:
    client = Client()
    client.force_login(make_user("lead", ("view_flag",), staff=True))

    response = client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any("drf_spectacular_sidecar" in asset for asset in assets)
    assert not [asset for asset in assets if asset.startswith(("http:", "https:", "//"))]


def test_docs_and_schema__anonymous__refused() -> None:
    for path in ("/api/docs/", "/api/schema/"):
        assert Client().get(path).status_code in (401, 403)
