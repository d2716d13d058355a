"""/metrics under several worker processes: each writes its own samples, a scrape sums them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from telemetry import metrics

ROOT = Path(__file__).resolve().parents[2]
WORKER = (
    "from telemetry import metrics\n"
    "for _ in range({n}):\n"
    "    metrics.observe_request('/api/v1/features/', 'GET', 200, 0.02)\n"
)


@pytest.mark.django_db
def test_metrics__two_worker_processes__a_scrape_sees_the_sum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given two separate processes that served 30 and 12 requests
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for n in (30, 12):
        subprocess.run([sys.executable, "-c", WORKER.format(n=n)], cwd=ROOT, env=env, check=True)
    # when any process renders /metrics in multiprocess mode
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    body, _ = metrics.render()
    # then it reports both processes' requests
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }
    labels = (("method", "GET"), ("route", "/api/v1/features/"), ("status", "200"))
    assert samples["llmhub_http_requests_total", labels] == 42
    assert samples["llmhub_http_request_duration_seconds_count", labels[:2]] == 42
