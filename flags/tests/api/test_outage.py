"""The database unreachable (a real connection failure: the connection is pointed at a port where
nothing listens) while the process holds its snapshot and tokens. The end-to-end version, with a
stopped PostgreSQL and real gunicorn workers, is tests/system/test_outage.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from flags.api.read_views import _rows_from_store
from flags.tests.api.conftest import ALL_FLAG_PERMS, Api, error_of, make_flag, make_token, make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def database_down() -> Iterator[Callable[[], None]]:
    """Call it to cut the database off until the end of the test."""
    saved = connection.settings_dict["PORT"]

    def cut() -> None:
        connection.close()
        connection.settings_dict["PORT"] = "1"

    yield cut
    connection.close()
    connection.settings_dict["PORT"] = saved


@pytest.fixture
def warm(settings: Any, api_for: Callable[..., Api]) -> Iterator[Api]:
    """A write token used once (so held by the process) and two flags loaded."""
    settings.API_TOKEN_CACHE_SECONDS = 0  # the held entry has expired at once: the worst case
    make_flag("hub", rollout_percentage=100, tags=["hub"], whitelist_users=["alice"])
    make_flag("billing", enabled=False, tags=["billing"])
    api = api_for(make_user("ops", ALL_FLAG_PERMS))
    assert api.get("/api/v1/features/hub?user_id=bob").status_code == 200
    yield api


@pytest.mark.postgres
def test_reads__keep_serving_with_an_expired_token_entry(warm: Api, database_down) -> None:
    listed = warm.get("/api/v1/features/?tags=hub").json()
    database_down()
    evaluated = warm.get("/api/v1/features/hub?user_id=bob")
    assert (evaluated.status_code, evaluated.json()["enabled"]) == (200, True)
    assert evaluated.json()["config"]["whitelist_users"] == ["alice"]
    assert warm.get("/api/v1/features/user/bob/enabled").json()["enabled"] == ["hub"]
    assert warm.get("/api/v1/features/?tags=hub").json() == listed
    ofrep = warm.post("/ofrep/v1/evaluate/flags/hub", {"context": {"targetingKey": "bob"}})
    assert (ofrep.status_code, ofrep.json()["value"]) == (200, True)


@pytest.mark.postgres
def test_writes_and_unseen_tokens__503_with_retry_after(warm: Api, database_down) -> None:
    unseen = Api(Client(), {"HTTP_AUTHORIZATION": f"Bearer {make_token(make_user('new'))}"})
    database_down()
    for response in (
        warm.post("/api/v1/features/hub/disable"),
        warm.patch("/api/v1/features/hub", {"rollout_percentage": 5}),
        warm.get("/api/v1/features/hub/history"),
        unseen.get("/api/v1/features/hub"),
    ):
        assert response.status_code == 503
        assert int(response["Retry-After"]) > 0
        assert error_of(response)["code"] == "database_unavailable"


@pytest.mark.postgres
def test_html_page__plain_503_page(warm: Api, database_down) -> None:
    browser = Client()
    browser.cookies["sessionid"] = "a-session-the-database-would-know"
    database_down()
    response = browser.get("/admin/llm-management/")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert int(response["Retry-After"]) > 0
    assert b"Traceback" not in response.content


def _walk(api: Api, url: str) -> list[dict[str, Any]]:
    """Every page of a list, following `next` from `url`."""
    pages: list[dict[str, Any]] = []
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.content
        pages.append(response.json())
        url = pages[-1]["next"]
    return pages


def test_list_from_the_store__equals_the_list_from_the_database(warm: Api) -> None:
    for tags in ("", "hub", "hub,billing", "none"):
        from_database = warm.get(f"/api/v1/features/?tags={tags}").json()
        rows = _rows_from_store([t for t in tags.split(",") if t])
        from_store = json.loads(json.dumps(rows.after(None, 1000)))
        assert (rows.count(), from_store) == (from_database["count"], from_database["results"])


@pytest.mark.postgres
def test_list__database_down__same_pages_from_the_store(warm: Api, database_down) -> None:
    make_flag("checkout", tags=["billing"])
    warm.get("/api/v1/features/hub?user_id=bob")  # the process loads the third flag
    first = "/api/v1/features/?tags=hub,billing&page_size=1"
    from_database = _walk(warm, first)
    back = warm.get(from_database[-1]["previous"]).json()
    database_down()
    assert warm.get("/api/v1/features/hub").status_code == 200  # the database is away indeed
    assert _walk(warm, first) == from_database
    assert warm.get(from_database[-1]["previous"]).json() == back
    assert [page["results"][0]["name"] for page in from_database] == ["billing", "checkout", "hub"]
    bad = warm.get("/api/v1/features/?page_size=0")
    assert (bad.status_code, list(error_of(bad)["fields"])) == (400, ["page_size"])
