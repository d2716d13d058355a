"""CORS as a browser enforces it: a page on one origin calls the flag API on another.

The live server answers on both http://localhost:PORT and http://127.0.0.1:PORT, two origins
for a browser. Chromium sends the preflight itself (the token header makes the request
non-simple) and lets the page read the answer only when the server allows its origin.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from flags.tests.api.conftest import make_flag, make_token, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FETCH = """async ([url, token]) => {
  try {
    const answer = await fetch(url, {headers: {Authorization: `Bearer ${token}`}});
    return {status: answer.status, etag: answer.headers.get("ETag"), body: await answer.json()};
  } catch (error) {
    return {blocked: String(error)};
  }
}"""


def _call_from_other_origin(page: Any, live_server: Any, token: str) -> dict[str, Any]:
    api = live_server.url  # http://localhost:PORT
    page_origin = api.replace("localhost", "127.0.0.1")
    page.goto(f"{page_origin}/healthz")  # any page of the other origin
    return dict(page.evaluate(FETCH, [f"{api}/api/v1/features/hub", token]))


def test_listed_origin__browser_reads_the_answer_and_its_etag(
    live_server: Any, browser_page: Any
) -> None:
    make_flag("hub", rollout_percentage=100)
    token = make_token(make_user("svc", ("view_flag",)), "read")
    origin = live_server.url.replace("localhost", "127.0.0.1")
    with override_settings(CORS_ALLOWED_ORIGINS=[origin]):
        answer = _call_from_other_origin(browser_page, live_server, token)
    assert answer.get("status") == 200, answer
    assert answer["body"]["enabled"] is True and answer["etag"] == '"1"'


def test_origin_not_listed__browser_blocks_the_call(live_server: Any, browser_page: Any) -> None:
    make_flag("hub", rollout_percentage=100)
    token = make_token(make_user("svc", ("view_flag",)), "read")
    with override_settings(CORS_ALLOWED_ORIGINS=["https://app.example.com"]):
        answer = _call_from_other_origin(browser_page, live_server, token)
    assert "blocked" in answer, answer
