"""Routes for middleware tests: answers of every kind, and a view that crashes."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def answer(status: int):
    def view(request: HttpRequest, **kwargs: object) -> HttpResponse:
        return HttpResponse("ok", status=status)

    return view


def crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret detail that must not leak")


urlpatterns = [
    path("api/test/items/<int:item_id>", answer(200)),
    path("api/test/unauthorized", answer(401)),
    path("api/test/forbidden", answer(403)),
    path("api/test/throttled", answer(429)),
    path("api/test/crash", crash),
    path("ofrep/v1/evaluate/flags", answer(200)),
    path("pages/crash", crash),
    path("pages/plain", answer(200)),
    path("pages/unavailable", answer(503)),
    path("api/test/unavailable", answer(503)),
    path("", include("telemetry.urls")),
]


class CrashingMiddleware:
    """Raises outside any view (for the receiver of got_request_exception)."""

    def __init__(self, get_response: object) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raise RuntimeError("a middleware broke")
