"""Class-based view helper: the counterpart of `flag_required`."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import redirect

from flags.client import is_enabled


class FlagRequiredMixin:
    """Set `flag_name`; optionally `flag_redirect_to` (URL or URL name) instead of a 404."""

    flag_name: str = ""
    flag_redirect_to: str | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not self.flag_name:
            raise ValueError(f"{type(self).__name__} must set flag_name")
        if not is_enabled(self.flag_name, request=request):
            if self.flag_redirect_to:
                return redirect(self.flag_redirect_to)
            raise Http404(f"Flag {self.flag_name} is off for this user.")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
