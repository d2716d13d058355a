"""Schemathesis over our own OpenAPI schema, in-process (WSGI), with a write token and anonymously.

Every generated request must get a documented status code, content type and body shape, and
never a server error. The number of examples per operation is bounded (SCHEMATHESIS_EXAMPLES,
default 25) so the run takes seconds in CI; raise it locally for a deeper search.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from flags.tests.api.conftest import ALL_FLAG_PERMS, make_flag, make_token, make_user

pytestmark = pytest.mark.django_db
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# The flags API and OFREP (other apps' operations are theirs to fuzz).
OURS = r"^/(api/v1/features|ofrep)/"
# No throttling: fuzz the endpoints, not the limiter (test_throttling.py covers that).
UNTHROTTLED = {**django_settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {}}


@pytest.fixture(autouse=True)
def _keep_test_connection() -> Iterator[None]:
    """Django closes the connection around each WSGI request (`close_old_connections`), which
    would end the test's transaction on PostgreSQL; its test client disconnects it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _api_schema() -> Any:
    raw = SchemaGenerator().get_schema(request=None, public=True)
    raw = json.loads(json.dumps(raw, default=str))  # lazy translations -> plain strings
    loaded = schemathesis.openapi.from_dict(raw)
    loaded.app = WSGIHandler()
    return loaded.include(path_regex=OURS)


schema = _api_schema()
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def write_headers(db: None) -> dict[str, str]:
    make_flag("hub", rollout_percentage=50)
    make_flag("sample", tags=["hub"])
    raw = make_token(make_user("fuzzer", ALL_FLAG_PERMS), "write")
    return {"Authorization": f"Bearer {raw}"}


@schema.parametrize()
@FUZZ
def test_api__write_token__documented_answers_and_no_server_error(
    case: Any, write_headers: dict[str, str]
) -> None:
    with override_settings(REST_FRAMEWORK=UNTHROTTLED):
        case.call_and_validate(headers=write_headers, checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_api__anonymous__documented_refusals(case: Any) -> None:
    with override_settings(REST_FRAMEWORK=UNTHROTTLED):
        response = case.call_and_validate(checks=CHECKS)
    assert response.status_code in (401, 403), response.status_code
