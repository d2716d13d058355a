"""Health checks for load balancers and orchestrators; the only public routes.

`/healthz`: the process answers (liveness; touches nothing else).
`/readyz`: the database, the cache and the Celery broker answer, each with its time in ms;
503 when one does not, so traffic goes elsewhere. Nothing secret is shown.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

BROKER_TIMEOUT_SECONDS = 1.0


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    cache.set("readyz", "1", timeout=10)
    if cache.get("readyz") != "1":
        raise RuntimeError("cache did not return what was written")


def _broker() -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return  # tasks run in-process: there is no broker to wait for
    from llmhub.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)


CHECKS: dict[str, Callable[[], None]] = {"database": _database, "cache": _cache, "broker": _broker}


def _run(check: Callable[[], None]) -> dict[str, object]:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", reported by type
        status: dict[str, object] = {"ok": False, "error": type(exc).__name__}
    else:
        status = {"ok": True}
    status["ms"] = round((time.perf_counter() - started) * 1000, 2)
    return status


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {name: _run(check) for name, check in CHECKS.items()}
    if settings.CELERY_TASK_ALWAYS_EAGER:
        checks["broker"]["eager"] = True
    ready = all(result["ok"] for result in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )
