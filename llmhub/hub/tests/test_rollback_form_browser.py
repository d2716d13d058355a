"""The rollback plan's form step, as an admin does it: in Chromium, against the real web server
(bin/web, production settings, two gunicorn workers, PostgreSQL and Redis as production uses):
open the flag, untick Enabled, Save. Within one second of the save every worker serves the old
pages (docs/ROLLBACK_PLAN.md, step 1 A).
"""

from __future__ import annotations

import re
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from flags.models import Flag, FlagChange
from flags.services import flag_create
from flags.tests.support.services import database_url, free_port
from llmhub.actors import Actor
from tests.system.processes import Deployment, Http, production_env

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

HUB = "/admin/llm-management/"
FLAG = "unified_llm_hub"
ADMIN = "rollback_admin"
PASSWORD = "rollback-test-password-1"
WORKERS = 2
WITHIN_SECONDS = 1.0
PROBE_SECONDS = 2.5  # probing goes on past the deadline, so late answers would show
COHORT = re.compile(r'data-cohort="([a-z_]+)"')


def _environment(port: int, logs: Path) -> dict[str, str]:
    """Production settings on this test's database and Redis, with two workers."""
    return production_env(
        port=port,
        logs=logs,
        database_url=database_url(),
        PYTHON=sys.executable,
        DJANGO_SUPERUSER_PASSWORD=PASSWORD,
        REDIS_URL=str(settings.REDIS_URL),
        CELERY_TASK_ALWAYS_EAGER="true",
        WEB_CONCURRENCY=str(WORKERS),
    )


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Deployment]:
    """bin/web with two workers; the flag lets the admin in (whitelisted, rollout 0)."""
    flag_create(
        name=FLAG,
        actor=Actor.system("test"),
        source="settings",
        enabled=True,
        rollout_percentage=0,
        whitelist_users=[ADMIN],
        tags=["hub"],
    )
    port = free_port()
    server = Deployment(
        env=_environment(port, tmp_path), base_url=f"http://127.0.0.1:{port}", logs=tmp_path
    )
    # As the image does: a superuser with production's password hasher, collected static files.
    server.manage("createsuperuser", "--noinput", "--username", ADMIN, "--email", "a@example.com")
    server.manage("collectstatic", "--noinput", "-v0")
    server.start("web", "web")
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop_all()


@dataclass
class Probe:
    number: int
    started: float
    cohort: str
    pid: int = 0


class Prober:
    """Fetches the hub page on fresh connections (the workers close each one), several at once
    so both sync workers answer, and learns each answer's worker from the access log."""

    def __init__(self, server: Deployment, cookies: dict[str, str]) -> None:
        self.server, self.probes = server, list[Probe]()
        self.cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
        self.lock, self.counter = threading.Lock(), 0

    def _one(self) -> None:
        with self.lock:
            self.counter += 1
            number = self.counter
        request = urllib.request.Request(
            self.server.base_url + HUB,
            headers={
                "Cookie": self.cookie,
                "Connection": "close",
                "User-Agent": f"rollback-probe-{number}",
            },
        )
        started = time.time()
        with urllib.request.urlopen(request, timeout=10) as response:
            found = COHORT.search(response.read().decode())
        with self.lock:
            self.probes.append(Probe(number, started, found.group(1) if found else "?"))

    def run(self, seconds: float, threads: int = 4) -> list[Probe]:
        deadline = time.monotonic() + seconds

        def loop() -> None:
            while time.monotonic() < deadline:
                self._one()

        workers = [threading.Thread(target=loop) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return self._with_pids()

    def _with_pids(self) -> list[Probe]:
        time.sleep(0.3)  # the access log line is written after the response
        log = (self.server.logs / "web.out").read_text(errors="replace")
        pids = {
            int(n): int(pid) for pid, n in re.findall(r'pid=<?(\d+)>? "rollback-probe-(\d+)"', log)
        }
        probes, self.probes = sorted(self.probes, key=lambda p: p.started), []
        for probe in probes:
            probe.pid = pids.get(probe.number, 0)
        return probes


def _log_in(page: Any, base: str) -> None:
    page.goto(f"{base}/admin/login/?next={HUB}")
    page.fill("#id_username", ADMIN)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}{HUB}")


def _untick_enabled_and_save(page: Any, base: str) -> None:
    """docs/ROLLBACK_PLAN.md 1 A, the form way: open the flag, untick Enabled, Save."""
    page.goto(f"{base}/admin/flags/flag/")
    page.click(f'#result_list a:text-is("{FLAG}")')
    page.wait_for_url(re.compile(r".*/admin/flags/flag/\d+/change/$"))
    assert page.is_checked("#id_enabled")
    assert page.input_value("#id_whitelist_users") == ADMIN
    page.uncheck("#id_enabled")
    with page.expect_navigation():
        page.click("input[name=_save]")
    errors = page.locator(".errornote, .errorlist").all_inner_texts()
    assert page.url == f"{base}/admin/flags/flag/", f"the form refused the save: {errors}"
    assert "was changed successfully" in page.inner_text(".messagelist")


def test_admin_form_unticks_enabled__every_worker_serves_the_old_pages_within_a_second(
    web: Deployment, browser_page: Any
) -> None:
    page, base = browser_page, web.base_url
    assert Http(base).request("GET", "/healthz")[0] == 200
    # given the admin signed in, and both workers serving them the new hub
    _log_in(page, base)
    prober = Prober(web, {c["name"]: c["value"] for c in page.context.cookies()})
    before = prober.run(1.5)
    assert {p.cohort for p in before} == {"new_hub"}, before
    assert len({p.pid for p in before} - {0}) == WORKERS, before

    # when they open the flag, untick Enabled and save
    _untick_enabled_and_save(page, base)
    after = prober.run(PROBE_SECONDS)

    # then only the kill switch changed, in one audited change from admin
    change = FlagChange.objects.filter(flag_name=FLAG).latest("version")
    assert (change.action, change.source, change.actor) == ("update", "admin", ADMIN)
    assert set(change.changed_fields()) == {"enabled"}
    flag = Flag.objects.get(name=FLAG)
    assert (flag.enabled, flag.whitelist_users, flag.version) == (False, [ADMIN], 2)
    # and from one second after the save, every answer of every worker is the old pages
    saved_at = change.created_at.timestamp()
    late = [p for p in after if p.started >= saved_at + WITHIN_SECONDS]
    assert late and {p.cohort for p in late} == {"old_pages"}, after
    assert len({p.pid for p in late} - {0}) == WORKERS, late
    new_after_deadline = [p for p in after if p.cohort == "new_hub" and p in late]
    assert new_after_deadline == []
    _report(after, saved_at)


def _report(probes: list[Probe], saved_at: float) -> None:
    """How long each worker kept serving the new hub after the save (shown with -s)."""
    for pid in sorted({p.pid for p in probes}):
        mine = [p for p in probes if p.pid == pid]
        last_new = max((p.started - saved_at for p in mine if p.cohort == "new_hub"), default=None)
        first_old = min(p.started - saved_at for p in mine if p.cohort == "old_pages")
        print(
            f"worker {pid}: {len(mine)} answers; after the save, last new hub at "
            f"{last_new}, first old pages at {first_old:.3f} s"
        )
