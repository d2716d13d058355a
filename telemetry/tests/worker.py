"""A real Celery worker process for tests: `celery -A llmhub worker` against the test database
and the test's broker, consuming a queue of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from flags.tests.support.services import database_url

ROOT = Path(__file__).resolve().parents[2]


class CeleryWorker:
    def __init__(self, queue: str, log_path: Path, env: dict[str, str] | None = None) -> None:
        self.queue = queue
        self.log_path = log_path
        self.env = env or {}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "llmhub.settings.test",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "REDIS_URL": settings.REDIS_URL,
            "TELEMETRY_AGGREGATION_DELAY_SECONDS": "0",
            **self.env,
        }
        command = [sys.executable, "-m", "celery", "-A", "llmhub", "worker", "--pool", "solo"]
        command += ["-Q", self.queue, "-l", "INFO", "--without-heartbeat", "--without-gossip"]
        command += ["--without-mingle", "-n", f"{self.queue}@%h"]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        """A warm shutdown: SIGTERM, wait for the current task to finish."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
        self.process = None

    def kill(self) -> None:
        """SIGKILL by PID: no cleanup, no ack, an open transaction left behind."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None


def wait_for(condition, *, timeout: float, interval: float = 0.2, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
