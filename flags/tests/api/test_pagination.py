"""Every API list pages: the flag list by cursor, the history by number, one shape, strict
parameters, pages bounded in rows and in bytes (issue 16, point 6)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from flags.api import pagination
from flags.api.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_BYTES, MAX_PAGE_SIZE
from flags.tests.api.conftest import Api, error_of, make_flag

pytestmark = pytest.mark.django_db
BASE = "/api/v1/features/"
SHAPE = {"count", "next", "previous", "results"}


def _walk(api: Api, url: str, link: str = "next") -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.content
        pages.append(response.json())
        assert set(pages[-1]) == SHAPE
        url = pages[-1][link]
    return pages


def _names(pages: list[dict[str, Any]]) -> list[str]:
    return [flag["name"] for page in pages for flag in page["results"]]


@pytest.fixture
def many_flags() -> list[str]:
    names = [f"flag-{index:03d}" for index in range(260)]
    for name in reversed(names):  # created out of order: the list orders by name
        make_flag(name, tags=["even" if int(name[-3:]) % 2 == 0 else "odd"])
    return names


def test_list__260_flags__following_next_lists_each_once_in_name_order(
    admin_api: Api, many_flags: list[str]
) -> None:
    pages = _walk(admin_api, BASE)

    assert _names(pages) == many_flags
    assert [len(page["results"]) for page in pages] == [50, 50, 50, 50, 50, 10]
    assert {page["count"] for page in pages} == {260}
    assert (pages[0]["previous"], pages[-1]["next"]) == (None, None)
    backwards = _walk(admin_api, pages[-1]["previous"], link="previous")
    assert _names(list(reversed(backwards))) == many_flags[:250]


def test_list__flags_created_and_deleted_mid_walk__others_listed_exactly_once(
    admin_api: Api, many_flags: list[str]
) -> None:
    first = admin_api.get(f"{BASE}?page_size=100").json()
    make_flag("flag-000a")  # before the cursor: would shift every later page by one
    admin_api.delete(f"{BASE}flag-001")
    make_flag("flag-2000")  # after the cursor: listed when reached

    rest = _walk(admin_api, first["next"])

    names = _names([first, *rest])
    assert names == sorted(set(names))
    assert set(many_flags) - {"flag-001"} <= set(names)
    assert "flag-2000" in names


def test_list__tags_filter__kept_by_every_link(admin_api: Api, many_flags: list[str]) -> None:
    pages = _walk(admin_api, f"{BASE}?tags=odd&page_size=40")

    assert _names(pages) == many_flags[1::2]
    assert {page["count"] for page in pages} == {130}
    assert all("tags=odd" in page["next"] for page in pages[:-1])


def test_list__page_size__default_and_maximum(admin_api: Api, many_flags: list[str]) -> None:
    default = admin_api.get(BASE).json()
    largest = admin_api.get(f"{BASE}?page_size={MAX_PAGE_SIZE}").json()

    assert len(default["results"]) == DEFAULT_PAGE_SIZE
    assert len(largest["results"]) == MAX_PAGE_SIZE
    assert "page_size=200" in largest["next"]


def test_list__largest_page_of_plain_flags__under_the_byte_budget(
    admin_api: Api, many_flags: list[str]
) -> None:
    response = admin_api.get(f"{BASE}?page_size={MAX_PAGE_SIZE}")

    assert len(response.content) < MAX_PAGE_BYTES
    assert len(response.content) < 100_000  # 200 plain flags: about 80 kB


def test_list__flags_with_long_user_lists__page_stops_at_the_byte_budget(
    admin_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pagination, "MAX_PAGE_BYTES", 30_000)
    names = [f"big-{index}" for index in range(8)]
    for name in names:  # each flag about 11 kB of JSON
        make_flag(name, whitelist_users=[f"user-{name}-{n:05d}" for n in range(600)])
    make_flag("huge", whitelist_users=[f"user-{n:06d}" for n in range(3_000)])  # ~36 kB alone

    responses = []
    url: str | None = f"{BASE}?page_size={MAX_PAGE_SIZE}"
    while url:
        responses.append(admin_api.get(url))
        url = responses[-1].json()["next"]

    assert _names([r.json() for r in responses]) == [*names, "huge"]
    assert [len(r.json()["results"]) for r in responses] == [2, 2, 2, 2, 1]
    assert all(len(r.content) <= 30_000 for r in responses[:-1])  # a lone flag may exceed it


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page_size=0", "page_size"),
        ("page_size=201", "page_size"),
        ("page_size=-5", "page_size"),
        ("page_size=ten", "page_size"),
        ("page_size=%C2%B2", "page_size"),  # a superscript two: a digit to str.isdigit
        ("page_size=", "page_size"),
        ("cursor=garbage!", "cursor"),
        ("cursor=", "cursor"),
        ("cursor=eDpodWI", "cursor"),  # "x:hub": a direction this list never gives
        ("cursor=bjpIVUI", "cursor"),  # "n:HUB": not a flag name
        ("page=2", "page"),  # this list pages by cursor: ?page= is refused, not ignored
    ],
)
def test_list__bad_parameter__400_naming_it(admin_api: Api, query: str, parameter: str) -> None:
    make_flag("hub")

    response = admin_api.get(f"{BASE}?{query}")

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == [parameter]


def test_history__same_shape_and_page_size_rule(admin_api: Api) -> None:
    make_flag("hub")
    for percent in range(1, 8):
        admin_api.post(f"{BASE}hub/rollout/{percent}")

    pages = _walk(admin_api, f"{BASE}hub/history?page_size=3")

    assert [[c["version"] for c in page["results"]] for page in pages] == [
        [8, 7, 6],
        [5, 4, 3],
        [2, 1],
    ]
    assert admin_api.get(pages[-1]["previous"]).json() == pages[1]
    assert len(admin_api.get(f"{BASE}hub/history").json()["results"]) == 8  # default 50


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page=3", "page"),  # past the last page
        ("page=99999999999999999999", "page"),
        ("page_size=500", "page_size"),
        ("page_size=x", "page_size"),
    ],
)
def test_history__bad_parameter__400_naming_it(admin_api: Api, query: str, parameter: str) -> None:
    make_flag("hub")
    admin_api.post(f"{BASE}hub/rollout/5")

    response = admin_api.get(f"{BASE}hub/history?page_size=1&{query}")

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == [parameter]


def test_history__unknown_flag_with_a_page__404(admin_api: Api) -> None:
    assert admin_api.get(f"{BASE}nope/history?page=3").status_code == 404


def test_schema__lists_documented_as_pages(reader_api: Api) -> None:
    schema = yaml.safe_load(reader_api.get("/api/schema/").content)
    components = schema["components"]["schemas"]

    for path, parameters in (
        ("/api/v1/features/", {"tags", "cursor", "page_size"}),
        ("/api/v1/features/{name}/history", {"page", "page_size"}),
    ):
        operation = schema["paths"][path]["get"]
        assert parameters <= {p["name"] for p in operation["parameters"]}
        ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        page = components[ref.rsplit("/", 1)[-1]]
        assert set(page["properties"]) == SHAPE
        assert page["properties"]["next"]["nullable"] is True
        size = next(p["schema"] for p in operation["parameters"] if p["name"] == "page_size")
        assert (size["default"], size["minimum"], size["maximum"]) == (50, 1, MAX_PAGE_SIZE)
