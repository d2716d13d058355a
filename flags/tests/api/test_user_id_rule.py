"""One user-id rule (flags.validation.is_user_id) wherever a user id arrives: a flag's lists,
`?user_id=`, the user path segment, an OFREP targetingKey and the evaluation lane agree."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import RequestFactory

from flags.api import fastpath
from flags.tests.api.conftest import Api, make_flag
from flags.validation import MAX_USER_ID_LENGTH, is_user_id
from llmhub.api.tokens.models import token_hash
from llmhub.api.tokens.services import token_cache

pytestmark = pytest.mark.django_db
BASE = "/api/v1/features/"

VALUES = [
    ("bob", True),
    ("é t é", True),
    ("b" * MAX_USER_ID_LENGTH, True),
    ("b" * (MAX_USER_ID_LENGTH + 1), False),
    ("   ", False),
    ("", False),
    ("a\x00b", False),
]


@pytest.mark.parametrize(("value", "valid"), VALUES)
def test_user_id_rule__every_entry_point__gives_the_same_verdict(
    admin_api: Api, value: str, valid: bool
) -> None:
    make_flag("hub")
    ok = 200 if valid else 400

    assert is_user_id(value) is valid
    assert admin_api.patch(f"{BASE}hub", {"whitelist_users": [value]}).status_code == ok
    assert admin_api.get(f"{BASE}hub?user_id={quote(value)}").status_code == ok
    ofrep = admin_api.post("/ofrep/v1/evaluate/flags/hub", {"context": {"targetingKey": value}})
    assert ofrep.status_code == ok
    if value and "\x00" not in value:  # a path segment cannot be empty or carry NUL
        path = f"{BASE}user/{quote(value)}/enabled"
        assert admin_api.get(path).status_code == ok
    assert (_lane_plan(admin_api, value) is not None) is valid


def _lane_plan(api: Api, user_id: str) -> fastpath.LanePlan | None:
    """What the evaluation lane would do with `?user_id=` for a token it holds."""
    authorization = api.headers["HTTP_AUTHORIZATION"]
    token_cache.load(token_hash(authorization.removeprefix("Bearer ")))
    request = RequestFactory().get(
        f"{BASE}hub", {"user_id": user_id}, HTTP_AUTHORIZATION=authorization
    )
    return fastpath.lane_plan(request, "hub")
