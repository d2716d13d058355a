"""The warm token path of GET /api/v1/features/{name} answers exactly as the DRF view does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import override_settings

from flags.api import fastpath
from flags.api.token_services import token_cache
from flags.tests.api.conftest import Api, error_of, make_flag, make_user
from flags.tests.api.test_throttling import _rates

pytestmark = pytest.mark.django_db
URL = "/api/v1/features/hub"


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records, per request, whether the fast path answered."""
    seen: list[bool] = []
    real = fastpath.fast_evaluate

    def spy(request: Any, name: str) -> Any:
        response = real(request, name)
        seen.append(response is not None)
        return response

    monkeypatch.setattr("flags.api.views.fast_evaluate", spy)
    return seen


def _pair(api: Api, path: str) -> tuple:
    token_cache.clear()
    cold = api.get(path)  # the token is not cached: the DRF view answers (and caches it)
    warm = api.get(path)
    return cold, warm


@pytest.mark.parametrize("query", ["", "?user_id=bob", "?user_id=alice"])
def test_warm_token__same_answer_as_drf(
    api_for: Callable[..., Api], calls: list[bool], query: str
) -> None:
    make_flag("hub", rollout_percentage=50, whitelist_users=["alice"])
    api = api_for(make_user("svc", ("view_flag",)), "read")

    cold, warm = _pair(api, f"{URL}{query}")

    assert calls == [False, True]
    assert (cold.status_code, cold.json(), cold["ETag"]) == (
        warm.status_code,
        warm.json(),
        warm["ETag"],
    )
    assert warm["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("path", "status"),
    [(f"{URL}?user_id=a%00b", 400), ("/api/v1/features/nope", 404)],
)
def test_anything_unusual__left_to_drf(
    api_for: Callable[..., Api], calls: list[bool], path: str, status: int
) -> None:
    make_flag("hub")
    api = api_for(make_user("svc", ("view_flag",)), "read")
    cold, warm = _pair(api, path)
    assert calls == [False, False]
    assert cold.status_code == warm.status_code == status


def test_token_without_view_flag__left_to_drf_and_refused(
    api_for: Callable[..., Api], calls: list[bool]
) -> None:
    make_flag("hub")
    api = api_for(make_user("nobody"), "read")
    cold, warm = _pair(api, URL)
    assert calls == [False, False]
    assert cold.status_code == warm.status_code == 403


def test_throttled__same_shape_and_retry_after(
    api_for: Callable[..., Api], calls: list[bool]
) -> None:
    make_flag("hub")
    api = api_for(make_user("svc", ("view_flag",)), "read")
    with override_settings(REST_FRAMEWORK=_rates(token_read="2/min")):
        codes = [api.get(URL) for _ in range(3)]
    assert [r.status_code for r in codes] == [200, 200, 429]
    assert calls == [False, True, True]
    assert error_of(codes[2])["code"] == "throttled"
    assert 1 <= int(codes[2]["Retry-After"]) <= 60
