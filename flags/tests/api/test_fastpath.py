"""The evaluation lane (WSGI level) answers GET /api/v1/features/{name} exactly as the DRF view.

Requests go through `EvaluationLane` wrapped around Django's WSGI handler, as in llmhub/wsgi.py;
the same requests through Django's test client reach the DRF view, the reference.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, unquote_to_bytes

import pytest
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import RequestFactory, override_settings
from django.urls import Resolver404, resolve

from flags.api import fastpath
from flags.tests.api.conftest import Api, make_flag, make_token, make_user
from flags.tests.api.test_throttling import _rates
from llmhub.api.tokens.services import token_cache

pytestmark = pytest.mark.django_db
URL = "/api/v1/features/hub"


@dataclass
class WsgiResponse:
    status_code: int
    headers: dict[str, str]
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


class Lane:
    """Calls the WSGI application of llmhub/wsgi.py (the lane around Django's handler)."""

    def __init__(self, headers: dict[str, str]) -> None:
        self.app = fastpath.EvaluationLane(get_wsgi_application())
        self.headers = headers

    def get(self, path: str, **extra: str) -> WsgiResponse:
        environ = RequestFactory().get(path, **{**self.headers, **extra}).environ
        # As gunicorn gives it: the path's bytes as latin-1 text (the request RequestFactory
        # built has rewritten PATH_INFO decoded).
        environ["PATH_INFO"] = unquote_to_bytes(path.split("?")[0]).decode("latin-1")
        seen: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]]) -> None:
            seen["status"], seen["headers"] = int(status.split()[0]), dict(headers)

        # As Django's test client does: the test's database connection must survive requests.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            body = b"".join(self.app(environ, start_response))
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        return WsgiResponse(seen["status"], seen["headers"], body)


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records the path of every request the lane answered."""
    seen: list[str] = []
    real = fastpath.lane_answer

    def spy(request: Any, plan: fastpath.LanePlan) -> Any:
        seen.append(request.path)
        return real(request, plan)

    monkeypatch.setattr(fastpath, "lane_answer", spy)
    return seen


def _reader(name: str = "svc", perms: tuple[str, ...] = ("view_flag",)) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {make_token(make_user(name, perms), 'read')}"}


def _headers(response: Any) -> dict[str, str]:
    items = response.headers.items() if isinstance(response, WsgiResponse) else response.items()
    return {k: v for k, v in items if k != "X-Request-ID"}


@pytest.mark.parametrize("query", ["", "?user_id=bob", "?user_id=alice", "?user_id=%C3%A9t%C3%A9"])
def test_warm_token__same_answer_and_headers_as_drf(
    client: Any, answered: list[str], query: str
) -> None:
    make_flag("hub", rollout_percentage=50, whitelist_users=["alice"])
    headers = _reader()
    token_cache.clear()
    lane = Lane(headers)
    cold = lane.get(f"{URL}{query}")  # the token is not cached yet: Django's DRF view answers
    warm = lane.get(f"{URL}{query}")
    drf = Api(client, headers).get(f"{URL}{query}")

    assert answered == [URL]  # the warm one only
    assert (warm.status_code, warm.json()) == (drf.status_code, drf.json())
    assert (cold.status_code, cold.json()) == (drf.status_code, drf.json())
    assert _headers(warm) == _headers(drf) == _headers(cold)
    assert {"X-Frame-Options", "Content-Length", "X-Content-Type-Options", "ETag"} <= set(
        _headers(warm)
    )
    assert warm.headers["X-Request-ID"]


@pytest.mark.parametrize(
    ("path", "extra", "status"),
    [
        (f"{URL}?user_id=a%00b", {}, 400),
        ("/api/v1/features/nope", {}, 404),
        (URL, {"HTTP_HOST": "evil.example"}, 400),
        (URL, {"HTTP_AUTHORIZATION": "Bearer not-a-token"}, 401),
    ],
)
def test_anything_unusual__left_to_django(
    answered: list[str], path: str, extra: dict[str, str], status: int
) -> None:
    make_flag("hub")
    lane = Lane(_reader())
    lane.get(URL)  # caches the token
    assert lane.get(path, **extra).status_code == status
    assert answered == []


def test_request_with_cookies__left_to_django(answered: list[str]) -> None:
    """Middleware the lane does not run read cookies: a stale session cookie is deleted and a
    malformed CSRF cookie replaced (found by the differential test)."""
    make_flag("hub")
    lane = Lane(_reader())
    lane.get(URL)
    stale = lane.get(URL, HTTP_COOKIE="sessionid=stale")
    assert answered == []
    assert stale.status_code == 200
    assert stale.headers["Vary"] == "Cookie" and 'sessionid=""' in stale.headers["Set-Cookie"]


def test_emoji_in_the_name__the_environ_reaches_django_as_wsgi_gave_it(answered: list[str]) -> None:
    """Defect 4 of issue 11: the lane read the request from the environ it then handed Django,
    rewritten (decoded); Django could not re-encode it and gunicorn answered an HTML 500."""
    make_flag("hub")
    lane = Lane(_reader())
    lane.get(URL)
    response = lane.get("/api/v1/features/%F0%9F%98%8A")
    assert answered == []
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_token_without_view_flag__left_to_drf_and_refused(answered: list[str]) -> None:
    make_flag("hub")
    lane = Lane(_reader("nobody", ()))
    assert [lane.get(URL).status_code for _ in range(2)] == [403, 403]
    assert answered == []


def test_throttled__same_shape_and_retry_after(answered: list[str]) -> None:
    make_flag("hub")
    lane = Lane(_reader())
    with override_settings(REST_FRAMEWORK=_rates(token_read="2/min")):
        codes = [lane.get(URL) for _ in range(3)]
    assert [r.status_code for r in codes] == [200, 200, 429]
    assert answered == [URL, URL]  # the first request cached the token through DRF
    assert codes[2].json()["error"]["code"] == "throttled"
    assert 1 <= int(codes[2].headers["Retry-After"]) <= 60


def test_warm__no_query_no_cookie(answered: list[str], django_assert_num_queries: Any) -> None:
    make_flag("hub")
    lane = Lane(_reader())
    lane.get(URL)  # caches the token and the configuration
    with django_assert_num_queries(0):
        warm = lane.get(f"{URL}?user_id=bob")
    assert answered == [URL]
    assert warm.status_code == 200
    assert "Set-Cookie" not in warm.headers


def test_after_a_change__django_answers_first_then_the_lane_with_the_new_config(
    answered: list[str], django_assert_num_queries: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The lane never queries: a configuration it has not seen yet is left to the DRF view."""
    from flags import services
    from llmhub.actors import Actor

    make_flag("hub", rollout_percentage=10)
    lane = Lane(_reader())
    lane.get(URL)
    lane.get(URL)
    assert answered == [URL]
    with django_capture_on_commit_callbacks(execute=True):  # publishes the new revision
        services.flag_set_rollout(
            name="hub", percentage=60, actor=Actor.system("tests"), source="command"
        )

    after = lane.get(URL)  # a new version: not cached yet, so Django answers (and caches it)
    with django_assert_num_queries(0):
        warm = lane.get(URL)
    assert answered == [URL, URL]
    assert after.json() == warm.json()
    assert warm.json()["config"]["rollout_percentage"] == 60
    assert warm.headers["ETag"] == f'"{warm.json()["version"]}"'


def test_revision_check_due__left_to_django_then_the_lane_again(answered: list[str]) -> None:
    """The lane never checks or reloads the flag store itself (that may query the database,
    which needs Django's per-request connection upkeep): a request through Django does."""
    from flags.store import store

    make_flag("hub")
    lane = Lane(_reader())
    lane.get(URL)
    lane.get(URL)
    store._next_check = 0.0  # the check interval has passed
    lane.get(URL)
    lane.get(URL)
    assert answered == [URL, URL]


def test_another_flag_changed__the_lane_makes_no_query(
    answered: list[str], django_assert_num_queries: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from flags import services
    from llmhub.actors import Actor

    make_flag("hub")
    make_flag("other")
    lane = Lane(_reader())
    lane.get(URL)
    with django_capture_on_commit_callbacks(execute=True):  # publishes a new revision
        services.flag_disable(name="other", actor=Actor.system("tests"), source="command")
    lane.get(URL)  # Django reloads the store (its queries), answers, caches the config
    with django_assert_num_queries(0):
        assert lane.get(URL).status_code == 200
    assert answered == [URL]


def test_too_many_query_fields__json_400_not_500(client: Any) -> None:
    """Bad input is a 400 with the error shape, through the lane's door or DRF's."""
    make_flag("hub")
    headers = _reader()
    lane = Lane(headers)
    lane.get(URL)
    query = "?user_id=bob" + "&x=1" * 1001
    for response in (lane.get(URL + query), Api(client, headers).get(URL + query)):
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "bad_request"
    assert lane.get(URL + query).headers["X-Request-ID"]


def test_error_inside_the_lane__django_error_response(
    answered: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lane's middleware are wrapped as Django wraps them: an error is a JSON 500."""
    make_flag("hub")
    lane = Lane(_reader())
    lane.get(URL)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(fastpath.client, "evaluate", broken)
    response = lane.get(URL)
    assert answered == [URL]  # the lane took it, and failed inside
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert b"boom" not in response.content and b"Traceback" not in response.content


@override_settings(SECURE_SSL_REDIRECT=True)
def test_security_middleware_runs_in_the_lane__https_redirect() -> None:
    make_flag("hub")
    lane = Lane(_reader())
    lane.get(URL, **{"wsgi.url_scheme": "https"})  # caches the token

    def not_django(environ: Any, start_response: Any) -> Any:
        raise AssertionError("the lane should have answered")

    lane.app.django_app = not_django
    response = lane.get(URL)
    assert response.status_code == 301
    assert response.headers["Location"].startswith("https://")


def test_lane_middleware__the_head_of_middleware() -> None:
    lane = settings.EVALUATION_LANE_MIDDLEWARE
    assert settings.MIDDLEWARE[: len(lane)] == lane


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
    """The lane's pattern and Django's URL resolution agree on which paths are the detail
    route, and on the flag name."""
    path = unquote(path)  # what PATH_INFO holds
    try:
        match = resolve(path)
        resolved = match.kwargs["name"] if match.url_name == "flags_api_flag" else None
    except Resolver404:
        resolved = None
    lane = fastpath.DETAIL_PATH.fullmatch(path)
    assert (lane["name"] if lane else None) == resolved


def test_lane__telemetry_records_the_route_like_drf(answered: list[str]) -> None:
    from telemetry import buffer
    from telemetry.models import Event

    make_flag("hub")
    lane = Lane(_reader())
    cold, warm = lane.get(URL), lane.get(URL)
    buffer.flush()
    rows = {e.request_id: e for e in Event.objects.filter(event_type="api_call", path=URL)}
    assert answered == [URL]
    cold_row, warm_row = rows[cold.headers["X-Request-ID"]], rows[warm.headers["X-Request-ID"]]
    assert cold_row.page == warm_row.page == fastpath.DETAIL_ROUTE
    assert (warm_row.status, warm_row.user_id, warm_row.method) == (200, "svc", "GET")


def test_lane__a_throttled_answer_is_a_security_event(answered: list[str]) -> None:
    from telemetry.models import Event

    make_flag("hub")
    lane = Lane(_reader())
    with override_settings(REST_FRAMEWORK=_rates(token_read="1/min")):
        lane.get(URL)
        refused = lane.get(URL)
    assert answered == [URL]
    assert refused.status_code == 429
    event = Event.objects.get(event_type="security", request_id=refused.headers["X-Request-ID"])
    assert event.action == "throttled"


def test_llmhub_wsgi__serves_through_the_lane() -> None:
    from llmhub import wsgi

    assert isinstance(wsgi.application, fastpath.EvaluationLane)
