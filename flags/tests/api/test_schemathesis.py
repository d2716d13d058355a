"""Schemathesis over our own OpenAPI schema, in-process (WSGI), with a write token and anonymously.

Every generated request must get a documented status code, content type and body shape, and
never a server error. The number of examples per operation is bounded (SCHEMATHESIS_EXAMPLES,
default 25) so the run takes seconds in CI; raise it locally for a deeper search.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
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
HIGH_RATES = {
    "REST_FRAMEWORK": {
        **__import__("django.conf").conf.settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {},  # no throttling: fuzz the endpoints, not the limiter
    }
}


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
    with override_settings(**HIGH_RATES):
        case.call_and_validate(headers=write_headers, checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_api__anonymous__documented_refusals(case: Any) -> None:
    with override_settings(**HIGH_RATES):
        response = case.call_and_validate(checks=CHECKS)
    assert response.status_code in (401, 403), response.status_code
