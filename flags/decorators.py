"""View helpers: serve a view only to users for whom a flag is on."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from flags.client import is_enabled

View = Callable[..., HttpResponse]


def flag_required(name: str, *, redirect_to: str | None = None) -> Callable[[View], View]:
    """404 (or a redirect to `redirect_to`, a URL or URL name) when the flag is off."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if is_enabled(name, request=request):
                return view(request, *args, **kwargs)
            if redirect_to:
                return redirect(redirect_to)
            raise Http404(f"Flag {name} is off for this user.")

        return wrapped

    return decorator
