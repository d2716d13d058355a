"""Hostile paths in process: every URL pattern, odd bytes, and each caller (anonymous, staff
session, API token), through the WSGI application production serves (`llmhub.wsgi.application`: the
evaluation lane around Django) and through Django's test client.

The same sweep through real gunicorn (bin/web) is tests/hostile/test_hostile_paths_gunicorn.py.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client, override_settings

from flags.tests.api.conftest import make_flag, make_token
from flags.tests.api.test_throttling import _rates
from llmhub.api.ratelimit import limiter
from llmhub.api.tokens.services import token_cache
from tests.hostile.paths import Probe, methods, probes, problems, route_templates

pytestmark = pytest.mark.django_db
Send = Callable[[str, str], tuple[int, str, bytes]]


@pytest.fixture(autouse=True)
def _world() -> Iterator[None]:
    """A flag to find, and rates out of reach (a 429 would hide what the route answers)."""
    make_flag("hub")
    token_cache.clear()
    limiter.reset()
    with override_settings(REST_FRAMEWORK=_rates()):
        yield


def _admin() -> User:
    return User.objects.create_superuser("root", "root@example.com", "pw")


def _credentials() -> dict[str, dict[str, str]]:
    """HTTP headers (WSGI keys) of each kind of caller; the session is set up by the caller."""
    token = make_token(_admin(), "write")
    return {
        "anonymous": {},
        "staff session": {},
        "API token": {"HTTP_AUTHORIZATION": f"Bearer {token}"},
    }


def _body(method: str, path: str) -> tuple[bytes, str]:
    if method == "GET":
        return b"", ""
    if path.startswith(("/api/", "/ofrep/")):
        return b"{}", "application/json"
    return b"", "application/x-www-form-urlencoded"


def _sweep(send: Send) -> list[str]:
    found = []
    for probe in probes():
        for method in methods(probe.path):
            status, content_type, body = send(method, probe.path)
            for problem in problems(probe.path, status, content_type, body):
                found.append(f"{method} {_short(probe)} ({probe.odd}): {problem}")
    return found


def _short(probe: Probe) -> str:
    return probe.path if len(probe.path) < 120 else probe.path[:60] + "…" + probe.path[-40:]


def _report(found: list[str]) -> str:
    return f"{len(found)} problems:\n" + "\n".join(found[:60])


def test_every_route_is_swept() -> None:
    """The walk reaches every kind of route: API, OFREP, telemetry, hub, admin (regexes too)."""
    templates = route_templates()
    for expected in (
        "/api/v1/features/{name}",
        "/api/v1/features/{name}/rollback/{version}",
        "/ofrep/v1/evaluate/flags/{key}",
        "/telemetry/data.json",
        "/admin/llm-management/old/{page}/",
        "/admin/flags/flag/{object_id}/change/",
        "/admin/{app_label}/",
        "/admin/{url}",
        "/healthz",
    ):
        assert expected in templates
    assert len(probes()) > 8 * len(templates) - 1


@pytest.mark.parametrize("caller", ["anonymous", "staff session", "API token"])
def test_hostile_paths__production_wsgi_application__never_a_500(caller: str) -> None:
    """Through `llmhub.wsgi.application`, the application gunicorn serves (defect 4 of issue
    11: the lane handed Django an environ it had rewritten, and an emoji became a 500)."""
    from llmhub.wsgi import application

    headers = _credentials()[caller]
    if caller == "staff session":
        headers = {"HTTP_COOKIE": _session_cookie()}

    def send(method: str, path: str) -> tuple[int, str, bytes]:
        body, content_type = _body(method, path)
        environ = _environ(method, path, body, content_type, headers)
        seen: dict[str, Any] = {}

        def start_response(status: str, response_headers: list[tuple[str, str]], *_: Any) -> None:
            seen["status"], seen["headers"] = int(status.split()[0]), dict(response_headers)

        chunks = b"".join(application(environ, start_response))
        return seen["status"], seen["headers"].get("Content-Type", ""), chunks

    request_started.disconnect(close_old_connections)  # keep the test's connection
    request_finished.disconnect(close_old_connections)
    try:
        found = _sweep(send)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert not found, _report(found)


@pytest.mark.parametrize("caller", ["anonymous", "staff session", "API token"])
def test_hostile_paths__django_test_client__never_a_500(caller: str) -> None:
    client = Client(raise_request_exception=False, **_credentials()[caller])
    if caller == "staff session":
        client.force_login(User.objects.get(username="root"))

    def send(method: str, path: str) -> tuple[int, str, bytes]:
        body, content_type = _body(method, path)
        kwargs: dict[str, Any] = {"content_type": content_type} if content_type else {}
        response = client.generic(method, path, body, **kwargs)
        return response.status_code, response.get("Content-Type", ""), response.content

    found = _sweep(send)
    assert not found, _report(found)


def _session_cookie() -> str:
    client = Client()
    client.force_login(User.objects.get(username="root"))
    return f"sessionid={client.cookies['sessionid'].value}"


def _environ(
    method: str, path: str, body: bytes, content_type: str, headers: dict[str, str]
) -> dict[str, Any]:
    """A WSGI environ as gunicorn builds it: PATH_INFO holds the path's bytes as latin-1."""
    from urllib.parse import unquote_to_bytes

    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": content_type,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        **headers,
    }
