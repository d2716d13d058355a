"""A bare Django view for bench/api_bench.py: the baseline the API is measured against.

Under /api/ so it passes through the same middleware work (telemetry records API calls).

Routed only when LLMHUB_BENCH_VIEWS is set, and never under the production settings.
"""

from django.http import HttpRequest, JsonResponse


def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"flag": "bench", "enabled": True, "reason": "BARE", "version": 1})
