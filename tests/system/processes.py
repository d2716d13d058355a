"""Start the real processes of a deployment (bin/web, bin/worker, bin/beat) for the system test."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# A Fernet key for provider keys in tests (production settings refuse to start without one).
TEST_PROVIDER_KEY = "YnVpbGQtb25seS1wbGFjZWhvbGRlci1rZXktMzJieXQ="


def manage_py(*args: str, env: dict[str, str], check: bool = False) -> CompletedProcess[str]:
    """`python manage.py ARGS` from the checkout, as an operator types it, with `env` only."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


def production_env(*, port: int, logs: Path, database_url: str, **more: str) -> dict[str, str]:
    """Production settings as the image runs them (two web workers), on the test's own port,
    database and log folder, over plain HTTP; `more` adds or overrides variables."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "llmhub.settings.production",
        "DJANGO_SECRET_KEY": "real-process-test-" + uuid.uuid4().hex * 2,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "PROVIDER_KEY_ENCRYPTION_KEYS": TEST_PROVIDER_KEY,
        "DATABASE_URL": database_url,
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(logs / "metrics"),
        **more,
    }


@dataclass
class Deployment:
    """The environment every process shares, and the processes started with it."""

    env: dict[str, str]
    base_url: str
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    token: str = ""
    redis: subprocess.Popen[bytes] | None = None

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed: {done.stderr[-2000:]}")
        return done.stdout

    def start(self, name: str, script: str) -> None:
        out = open(self.logs / f"{name}.out", "wb")  # noqa: SIM115 - closed with the process
        err = open(self.logs / f"{name}.err", "wb")  # noqa: SIM115
        self.processes[name] = subprocess.Popen(
            [str(ROOT / "bin" / script)],
            cwd=ROOT,
            env=self.env,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def wait_healthy(self, timeout: float = 60) -> None:
        logs = {name: self.logs / f"{name}.err" for name in self.processes}
        wait_healthy(self.base_url, self.processes, logs, timeout)


def wait_healthy(
    base_url: str,
    processes: dict[str, subprocess.Popen[bytes]],
    logs: dict[str, Path],
    timeout: float = 60,
) -> None:
    """Until `GET /healthz` answers 200; a process that exits first fails at once, with the
    tail of its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, process in processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited: {logs[name].read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{base_url}/healthz did not answer 200 within {timeout} s")


def probes_by_worker(logs: Path) -> dict[str, list[str]]:
    """`probe=N` requests answered 200, grouped by the gunicorn worker's pid (its access log)."""
    time.sleep(0.5)  # let gunicorn flush its access log
    log = (logs / "web.out").read_text()
    workers: dict[str, list[str]] = {}
    for probe, pid in re.findall(r"probe=(\d+)\S* HTTP/1\.\d\" 200 .*pid=<?(\d+)", log):
        workers.setdefault(pid, []).append(probe)
    return workers


def assert_every_worker_sees_the_change(
    deployment: Deployment, api: Http, flag: str, change: Any, expect_enabled: bool
) -> None:
    """Make `change()` (one API write), then probe the flag for 1.5 s: every worker must answer
    the new value within 1 s and never the old one after it."""
    for _ in range(20):  # every worker holds the old value
        api.request("GET", f"/api/v1/features/{flag}?user_id=alice")
    changed_at = time.monotonic()
    change()
    answers: dict[str, tuple[float, bool]] = {}
    probe = 0
    while time.monotonic() - changed_at < 1.5:
        probe += 1
        status, body = api.request("GET", f"/api/v1/features/{flag}?user_id=alice&probe={probe}")
        assert status == 200, body
        answers[str(probe)] = (time.monotonic() - changed_at, body["enabled"])
    by_worker = probes_by_worker(deployment.logs)
    assert len(by_worker) == 2, f"expected both workers to answer, got {by_worker.keys()}"
    for pid, probes in by_worker.items():
        seen = [answers[p] for p in probes if p in answers]
        stale = [elapsed for elapsed, enabled in seen if enabled != expect_enabled]
        fresh = [elapsed for elapsed, enabled in seen if enabled == expect_enabled]
        assert fresh and min(fresh) < 1.0, f"worker {pid} never answered the new value in 1 s"
        assert not stale or max(stale) < 1.0, f"worker {pid} answered the old value after 1 s"


class Http:
    """A tiny HTTP client (urllib) with cookies and an optional bearer token."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = base_url
        self.token = token
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        data, all_headers = None, {"Connection": "close", **(headers or {})}
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        if body is not None:
            data, all_headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        req = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers=all_headers
        )
        try:
            with self.opener.open(req, timeout=10) as response:
                return response.status, _decode(response.read())
        except urllib.error.HTTPError as error:
            return error.code, _decode(error.read())

    def cookie(self, name: str) -> str:
        return next((c.value or "" for c in self.cookies if c.name == name), "")


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")
