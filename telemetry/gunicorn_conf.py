"""Gunicorn hooks for correct Prometheus metrics across workers.

    PROMETHEUS_MULTIPROC_DIR=/run/llmhub-metrics \\
        gunicorn -c python:telemetry.gunicorn_conf -w 2 llmhub.wsgi

Every worker writes its samples to files in PROMETHEUS_MULTIPROC_DIR; /metrics adds them up.
The directory is emptied when the master starts (stale files would count twice), and a dead
worker's live gauges are dropped.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any


def on_starting(server: Any) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
