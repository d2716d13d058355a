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

    monkeypatch.setattr("flags.api.fastpath.fast_evaluate", spy)
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


def test_warm_token__same_headers_as_drf(api_for: Callable[..., Api], calls: list[bool]) -> None:
    """The lane answers before XFrameOptions and Common middleware: it adds their headers."""
    make_flag("hub")
    api = api_for(make_user("svc", ("view_flag",)), "read")
    cold, warm = _pair(api, URL)
    assert calls == [False, True]

    def headers(response: Any) -> dict[str, str]:
        return {k: v for k, v in response.items() if k != "X-Request-ID"}

    assert headers(warm) == headers(cold)
    assert {"X-Frame-Options", "Content-Length", "X-Content-Type-Options"} <= set(headers(warm))


def test_warm_token__no_query_no_session(
    api_for: Callable[..., Api], calls: list[bool], django_assert_num_queries: Any
) -> None:
    make_flag("hub")
    api = api_for(make_user("svc", ("view_flag",)), "read")
    api.get(URL)  # caches the token and the configuration
    with django_assert_num_queries(0):
        warm = api.get(f"{URL}?user_id=bob")
    assert calls[-1] is True
    assert warm.status_code == 200
    assert "Set-Cookie" not in warm and not warm.cookies


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/features/hub",
        "/api/v1/features/user",
        "/api/v1/features/a.b-c_d",
        "/api/v1/features/%C3%A9t%C3%A9",
        "/api/v1/features/",
        "/api/v1/features/hub/",
        "/api/v1/features/hub/history",
        "/api/v1/features/user/bob/enabled",
        "/api/v1/features//hub",
        "/api/v1/featureshub",
        "/api/v2/features/hub",
    ],
)
def test_lane_path__exactly_the_detail_route(path: str) -> None:
    """The lane's own pattern and Django's URL resolution agree on which paths are the detail
    route, and on the flag name."""
    from urllib.parse import unquote

    from django.urls import Resolver404, resolve

    path = unquote(path)  # what request.path_info holds
    try:
        match = resolve(path)
        resolved = match.kwargs["name"] if match.url_name == "flags_api_flag" else None
    except Resolver404:
        resolved = None
    lane = fastpath.DETAIL_PATH.fullmatch(path)
    assert (lane["name"] if lane else None) == resolved


def test_lane__telemetry_records_the_route_like_drf(
    api_for: Callable[..., Api], calls: list[bool]
) -> None:
    from telemetry import buffer
    from telemetry.models import Event

    make_flag("hub")
    api = api_for(make_user("svc", ("view_flag",)), "read")
    cold, warm = _pair(api, URL)
    buffer.flush()
    rows = {e.request_id: e for e in Event.objects.filter(event_type="api_call", path=URL)}
    assert calls == [False, True]
    assert rows[cold["X-Request-ID"]].page == rows[warm["X-Request-ID"]].page
    assert rows[warm["X-Request-ID"]].page == fastpath.DETAIL_ROUTE
    assert (rows[warm["X-Request-ID"]].status, rows[warm["X-Request-ID"]].user_id) == (200, "svc")
