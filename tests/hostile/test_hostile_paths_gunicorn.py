"""Hostile paths through real gunicorn (bin/web: production settings, the web worker, the
evaluation lane), over raw sockets: every URL pattern with odd bytes, percent-encoded and also
raw in the request line (bytes that are not UTF-8, a NUL), for anonymous callers, a staff
session logged in through the admin's form, and an API token.

Defect 4 of issue 11 lived here only: the lane is mounted at the WSGI level, which Django's
test client never passes through.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import User

from flags.tests.api.conftest import make_flag, make_token
from flags.tests.support.services import database_url, free_port, private_redis
from tests.hostile.paths import (
    RAW_ODD_VALUES,
    methods,
    probes,
    problems,
    raw_request_target,
)
from tests.system.processes import production_env, wait_healthy

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "hostile-paths-password"
HIGH_RATE = "100000000/min"  # a 429 would hide what the route answers


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def send(port: int, method: str, target: bytes, headers: dict[str, str]) -> Answer:
    """One request on its own connection; the target is sent as given (raw bytes too)."""
    body = b"" if method == "GET" else b"{}"
    head = [method.encode() + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1"]
    head += [f"{name}: {value}".encode() for name, value in headers.items()]
    head += [b"Connection: close", f"Content-Length: {len(body)}".encode()]
    if body:
        head.append(b"Content-Type: application/json")
    return _exchange(port, b"\r\n".join(head) + b"\r\n\r\n" + body)


def _exchange(port: int, request: bytes) -> Answer:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    raw_head, _, content = data.partition(b"\r\n\r\n")
    lines = raw_head.decode("latin-1").split("\r\n")
    return Answer(int(lines[0].split()[1]), _header_lines(lines[1:]), content)


def _environment(port: int, redis_url: str, logs: Path) -> dict[str, str]:
    base = redis_url.rsplit("/", 1)[0]
    env = production_env(
        port=port,
        logs=logs,
        database_url=database_url(),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        REDIS_URL=f"{base}/0",
        CELERY_BROKER_URL=f"{base}/1",
        # The admin's pages need the manifest of collected static files, as in the image.
        COLLECTSTATIC_ON_START="1",
    )
    for scope in ("TOKEN", "USER", "ADDRESS"):
        for kind in ("READ", "WRITE"):
            env[f"API_RATE_{scope}_{kind}"] = HIGH_RATE
    env["API_RATE_LOGIN"] = HIGH_RATE
    return env


@pytest.fixture
def web(tmp_path: Path) -> Iterator[int]:
    """bin/web on a free port against the test database and a private Redis; its port."""
    port = free_port()
    with private_redis() as (_redis, redis_url), open(tmp_path / "web.err", "wb") as err:
        process = subprocess.Popen(
            [str(ROOT / "bin" / "web")],
            cwd=ROOT,
            env=_environment(port, redis_url, tmp_path),
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
        try:
            wait_healthy(
                f"http://127.0.0.1:{port}",
                {"bin/web": process},
                {"bin/web": tmp_path / "web.err"},
                120,
            )
            yield port
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def _cookies(answer: Answer, into: dict[str, str]) -> None:
    for name, value in re.findall(r"Set-Cookie: ([^=]+)=([^;]*)", _raw_headers(answer)):
        into[name] = value


def _raw_headers(answer: Answer) -> str:
    return "\r\n".join(f"{k}: {v}" for k, v in answer.headers.items())


def _staff_session(port: int) -> dict[str, str]:
    """Logs in through the admin's login form as a browser does; the headers of that session
    (its cookies, and the CSRF token a page's script would send)."""
    cookies: dict[str, str] = {}
    page = send(port, "GET", b"/admin/login/", {})
    _cookies(page, cookies)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    assert token is not None, page.body[:500]
    form = f"csrfmiddlewaretoken={token[1].decode()}&username=root&password={PASSWORD}"
    login = _post_form(port, "/admin/login/?next=/admin/", form, cookies)
    _cookies(login, cookies)
    assert login.status == 302 and "sessionid" in cookies, login
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return {"Cookie": cookie, "X-CSRFToken": cookies["csrftoken"]}


def _post_form(port: int, path: str, form: str, cookies: dict[str, str]) -> Answer:
    body = form.encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Cookie: {'; '.join(f'{k}={v}' for k, v in cookies.items())}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return _exchange(port, head.encode() + body)


def _header_lines(lines: list[str]) -> dict[str, str]:
    """Headers; repeated ones (Set-Cookie) joined so that `_cookies` finds every one."""
    out: dict[str, str] = {}
    for line in lines:
        name, _, value = line.partition(": ")
        out[name] = f"{out[name]}\r\n{name}: {value}" if name in out else value
    return out


def _requests(headers: dict[str, str]) -> list[tuple[str, str, bytes, dict[str, str]]]:
    """(label, method, request target, headers): every probe percent-encoded, and raw."""
    out = []
    for probe in probes():
        for method in methods(probe.path):
            out.append(
                (f"{method} {probe.path[:90]} ({probe.odd})", method, probe.path.encode(), headers)
            )
        if probe.odd in RAW_ODD_VALUES:
            target = raw_request_target(probe.path)
            out.append((f"GET raw {target[:90]!r} ({probe.odd})", "GET", target, headers))
    return out


def test_hostile_paths__real_gunicorn__never_a_500_json_under_the_api(web: int) -> None:
    make_flag("hub")
    root = User.objects.create_superuser("root", "root@example.com")
    # Hashed as production checks it (the test settings' MD5 hasher is not among its hashers).
    root.password = PBKDF2PasswordHasher().encode(PASSWORD, "hostilesalt")
    root.save(update_fields=["password"])
    callers = {
        "anonymous": {},
        "staff session": _staff_session(web),
        "API token": {"Authorization": f"Bearer {make_token(root, 'write')}"},
    }
    jobs = [(caller, *job) for caller, headers in callers.items() for job in _requests(headers)]

    def check(job: tuple[str, str, str, bytes, dict[str, str]]) -> list[str]:
        caller, label, method, target, headers = job
        answer = send(web, method, target, headers)
        path = target.decode("latin-1")
        content_type = answer.headers.get("Content-Type", "")
        return [
            f"{caller}: {label}: {p}"
            for p in problems(path, answer.status, content_type, answer.body)
        ]

    with ThreadPoolExecutor(max_workers=4) as pool:  # two workers, kept busy
        found = [problem for result in pool.map(check, jobs) for problem in result]
    assert len(jobs) > 5000
    assert not found, f"{len(found)} problems:\n" + "\n".join(found[:60])
