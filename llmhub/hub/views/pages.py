"""The hub's pages: the root decides per request between the new hub and the old pages.

Views parse, call one handler or panel builder, record telemetry and render.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from llmhub.hub import feedback, permissions, tracking
from llmhub.hub.gate import OLD_PAGES_TITLES, TAB_SLUGS, TABS, hub_enabled_for, old_page_for
from llmhub.hub.permissions import ACTION_PERMISSIONS, may_act, may_enter, may_view
from llmhub.hub.views import actions, panels
from telemetry.cohorts import NEW_HUB, OLD_PAGES

HUB_PAGE = "hub"
# Old page -> the hub tab whose data (and POST actions) it shares.
OLD_TO_TAB = {tab.old_page: tab.slug for tab in TABS}
# Query parameters a redirect after a POST keeps (the catalog's filters).
KEPT_PARAMS = ("q", "provider", "status")
NO_ACCESS = "Your account has no access to this part of the hub; ask an administrator."
NOT_STAFF = "This account has no access to the hub; ask an administrator."

View = Callable[..., HttpResponse]


def staff_entry(view: View) -> View:
    """Anonymous: to the login form. Signed in but not active staff: 403 (a redirect to the
    login form would loop for a user who just logged in)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not may_enter(request.user):
            return forbidden(request, NOT_STAFF)
        return view(request, *args, **kwargs)

    return wrapped


def forbidden(request: HttpRequest, message: str = NO_ACCESS) -> HttpResponse:
    return render(request, "hub/forbidden.html", {"message": message}, status=403)


@staff_entry
@require_http_methods(["GET", "HEAD"])
def site_root(request: HttpRequest) -> HttpResponse:
    """The site's address (what `make run` prints) leads to the hub, through the login form."""
    return redirect("hub:root")


@staff_entry
@require_http_methods(["GET", "HEAD"])
def hub_root(request: HttpRequest) -> HttpResponse:
    """The first tab (or old page) this user may see."""
    enabled = _gate(request)
    tabs = permissions.viewable_tabs(request.user, TAB_SLUGS)
    if not tabs:
        return forbidden(request)
    if enabled:
        return _render_hub(request, tabs[0], {})
    return _render_old(request, old_page_for(tabs[0]), {})


@staff_entry
@require_http_methods(["GET", "HEAD", "POST"])
def hub_tab(request: HttpRequest, tab: str) -> HttpResponse:
    enabled = _gate(request)
    if tab not in TAB_SLUGS:
        raise Http404("No such tab.")
    refused = _refused(request, tab)
    if refused is not None:
        return refused
    if not enabled:
        # Kill switch, rollback or outside the rollout: the same data on the old page.
        return _to_old_page(request, tab)
    if request.method != "POST":
        return _render_hub(request, tab, {})
    outcome = actions.handle(tab, request)
    if outcome.ok:
        return _succeeded(
            request, outcome, page=HUB_PAGE, tab=tab, to=reverse("hub:tab", args=[tab])
        )
    return _render_hub(request, tab, outcome.bound, error=outcome.error, status=400)


@staff_entry
@require_http_methods(["GET", "HEAD", "POST"])
def old_page(request: HttpRequest, page: str) -> HttpResponse:
    tracking.served(OLD_PAGES)  # a missing or refused old page is the old pages' 4xx
    tab = OLD_TO_TAB.get(page)
    if tab is None:
        raise Http404("No such page.")
    refused = _refused(request, tab)
    if refused is not None:
        return refused
    if request.method != "POST":
        return _render_old(request, page, {})
    outcome = actions.handle(tab, request)
    if outcome.ok:
        to = reverse("hub:old", args=[page])
        return _succeeded(request, outcome, page=f"old_{page}", tab=None, to=to)
    return _render_old(request, page, outcome.bound, error=outcome.error, status=400)


def _gate(request: HttpRequest) -> bool:
    """The gate's answer for this visitor, and his cohort on every event of the request, asked
    before anything can answer 4xx: a missing tab or a refusal counts as a client error of
    the UI the visitor is served, so the dashboard's per-cohort client errors include it.

    A user who went back to the old pages is served them (and counted in their cohort) until
    he chooses "Try the new hub"; the opt-out is read only for users the flag lets in."""
    enabled = hub_enabled_for(request) and not feedback.hub_opted_out(request.user)
    tracking.served(NEW_HUB if enabled else OLD_PAGES)
    return enabled


def _refused(request: HttpRequest, tab: str) -> HttpResponse | None:
    """403 unless the user may see the tab and, for a POST, do its action (checked before
    anything is parsed, so a refused write changes nothing). An unknown action is left to
    the handlers' 400."""
    if not may_view(request.user, tab):
        return forbidden(request)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action in ACTION_PERMISSIONS[tab] and not may_act(request.user, tab, action):
        perm = ACTION_PERMISSIONS[tab][action]
        return forbidden(request, f"Your account lacks the permission {perm}; nothing was saved.")
    return None


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
    if outcome.action:
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
    shown = permissions.viewable_tabs(request.user, TAB_SLUGS)
    context: dict[str, Any] = {
        "tabs": [item for item in TABS if item.slug in shown],
        "active_tab": tab,
        "page_name": HUB_PAGE,
        "cohort": NEW_HUB,
        "action_error": error,
        "feedback_step": _feedback_step(request),
        **_permission_context(request, shown),
        **panels.all_panels(request, bound, shown),
    }
    _record_checker_use(request, context)
    return render(request, "hub/hub.html", context, status=status)


def _feedback_step(request: HttpRequest) -> str | None:
    """The rollout step to ask about, when the prompt is due for this user (else None)."""
    step = feedback.rollout_step()
    return step if feedback.feedback_prompt_due(user=request.user, step=step) else None


def _render_old(
    request: HttpRequest, page: str, bound: panels.Bound, *, error: str = "", status: int = 200
) -> HttpResponse:
    tracking.page_view(request, page=f"old_{page}", tab=None, cohort=OLD_PAGES)
    shown = permissions.viewable_tabs(request.user, TAB_SLUGS)
    context: dict[str, Any] = {
        "old_pages": {
            slug: title for slug, title in OLD_PAGES_TITLES.items() if OLD_TO_TAB[slug] in shown
        },
        "active_page": page,
        "page_url": reverse("hub:old", args=[page]),
        "page_name": f"old_{page}",
        "cohort": OLD_PAGES,
        "action_error": error,
        "show_try_hub": hub_enabled_for(request),
        **_permission_context(request, shown),
        **panels.PANELS[OLD_TO_TAB[page]](request, bound),
    }
    _record_checker_use(request, context)
    return render(request, f"hub/old/{page}.html", context, status=status)


def _permission_context(request: HttpRequest, shown: list[str]) -> dict[str, Any]:
    """What the templates may offer: `may.<tab>.<action>`, the providers table, the
    dashboard link."""
    user = request.user
    return {
        "may": {tab: permissions.allowed_actions(user, tab) for tab in shown},
        "show_providers": user.has_perm(permissions.PROVIDERS_VIEW_PERMISSION),
        "show_dashboard_link": permissions.may_see_telemetry_dashboard(user),
    }


def _record_checker_use(request: HttpRequest, context: dict[str, Any]) -> None:
    if context.get("decision") is not None:
        tracking.access_check(request.user, context["decision"], source="hub")
