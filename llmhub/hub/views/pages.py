"""The hub's pages: the root decides per request between the new hub and the old pages.

Views parse, call one handler or panel builder, record telemetry and render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from llmhub.hub import tracking
from llmhub.hub.gate import (
    NEW_HUB,
    OLD_PAGES,
    OLD_PAGES_TITLES,
    TAB_SLUGS,
    TABS,
    hub_enabled_for,
    old_page_for,
)
from llmhub.hub.views import actions, panels

HUB_PAGE = "hub"
# Old page -> the hub tab whose data (and POST actions) it shares.
OLD_TO_TAB = {tab.old_page: tab.slug for tab in TABS}
# Query parameters a redirect after a POST keeps (the catalog's filters).
KEPT_PARAMS = ("q", "provider", "status")


@staff_member_required
@require_http_methods(["GET", "HEAD"])
def site_root(request: HttpRequest) -> HttpResponse:
    """The site's address (what `make run` prints) leads to the hub, through the login form."""
    return redirect("hub:root")


@staff_member_required
@require_http_methods(["GET", "HEAD"])
def hub_root(request: HttpRequest) -> HttpResponse:
    if hub_enabled_for(request):
        return _render_hub(request, "keys", {})
    return _render_old(request, "providers", {})


@staff_member_required
@require_http_methods(["GET", "HEAD", "POST"])
def hub_tab(request: HttpRequest, tab: str) -> HttpResponse:
    if tab not in TAB_SLUGS:
        raise Http404("No such tab.")
    if not hub_enabled_for(request):
        # Kill switch, rollback or outside the rollout: the same data on the old page.
        return _to_old_page(request, tab)
    tracking.served(NEW_HUB)
    if request.method != "POST":
        return _render_hub(request, tab, {})
    outcome = actions.handle(tab, request)
    if outcome.ok:
        return _succeeded(
            request, outcome, page=HUB_PAGE, tab=tab, to=reverse("hub:tab", args=[tab])
        )
    return _render_hub(request, tab, outcome.bound, error=outcome.error, status=400)


@staff_member_required
@require_http_methods(["GET", "HEAD", "POST"])
def old_page(request: HttpRequest, page: str) -> HttpResponse:
    tab = OLD_TO_TAB.get(page)
    if tab is None:
        raise Http404("No such page.")
    tracking.served(OLD_PAGES)
    if request.method != "POST":
        return _render_old(request, page, {})
    outcome = actions.handle(tab, request)
    if outcome.ok:
        to = reverse("hub:old", args=[page])
        return _succeeded(request, outcome, page=f"old_{page}", tab=None, to=to)
    return _render_old(request, page, outcome.bound, error=outcome.error, status=400)


def _to_old_page(request: HttpRequest, tab: str) -> HttpResponse:
    """Same data on the old page; a query (catalog filters, a check) comes along."""
    url = reverse("hub:old", args=[old_page_for(tab)])
    if request.method == "POST":
        messages.warning(
            request,
            "The new hub was switched off for you, so nothing was saved. Please redo it here.",
        )
    query = request.GET.urlencode() if request.method == "GET" else ""
    return redirect(f"{url}?{query}" if query else url)


def _succeeded(
    request: HttpRequest, outcome: actions.Outcome, *, page: str, tab: str | None, to: str
) -> HttpResponse:
    """Record the action, say what happened, and redirect (so a reload does not repeat it)."""
    tracking.user_action(
        request, action=outcome.action, page=page, tab=tab, details=outcome.details
    )
    messages.success(request, outcome.message)
    kept = QueryDict(request.POST.get("next_query", ""))
    query = QueryDict(mutable=True)
    for name in KEPT_PARAMS:
        if kept.get(name):
            query[name] = kept[name]
    return redirect(f"{to}?{query.urlencode()}" if query else to)


def _render_hub(
    request: HttpRequest, tab: str, bound: panels.Bound, *, error: str = "", status: int = 200
) -> HttpResponse:
    tracking.page_view(request, page=HUB_PAGE, tab=tab, cohort=NEW_HUB)
    context: dict[str, Any] = {
        "tabs": TABS,
        "active_tab": tab,
        "page_name": HUB_PAGE,
        "cohort": NEW_HUB,
        "action_error": error,
        **panels.all_panels(request, bound),
    }
    _record_checker_use(request, context)
    return render(request, "hub/hub.html", context, status=status)


def _render_old(
    request: HttpRequest, page: str, bound: panels.Bound, *, error: str = "", status: int = 200
) -> HttpResponse:
    tracking.page_view(request, page=f"old_{page}", tab=None, cohort=OLD_PAGES)
    context: dict[str, Any] = {
        "old_pages": OLD_PAGES_TITLES,
        "active_page": page,
        "page_url": reverse("hub:old", args=[page]),
        "page_name": f"old_{page}",
        "cohort": OLD_PAGES,
        "action_error": error,
        "show_try_hub": hub_enabled_for(request),
        **panels.PANELS[OLD_TO_TAB[page]](request, bound),
    }
    _record_checker_use(request, context)
    return render(request, f"hub/old/{page}.html", context, status=status)


def _record_checker_use(request: HttpRequest, context: dict[str, Any]) -> None:
    if context.get("decision") is not None:
        tracking.access_check(request.user, context["decision"], source="hub")
