"""Who may see and do what in the hub: Django's model permissions, the same ones admin checks.

One table for the hub's tabs, the old pages (which share the tabs' data and actions) and the
access API, so a page, its buttons and its POST handler can never disagree. Staff status is
needed to reach the pages at all (as for admin); the permission decides each tab and action.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission

from telemetry.permissions import VIEW_DASHBOARD_PERMISSION, may_view_dashboard

# Tab -> the permission needed to see it. The Usage tab shows stored telemetry events.
TAB_VIEW_PERMISSIONS: dict[str, str] = {
    "keys": "hub.view_providerkey",
    "models": "hub.view_llmmodel",
    "rules": "hub.view_tierrule",
    "usage": "telemetry.view_event",
}
# Tab -> POST action -> the permission the action's service call needs.
ACTION_PERMISSIONS: dict[str, dict[str, str]] = {
    "keys": {
        "add": "hub.add_providerkey",
        "rotate": "hub.change_providerkey",
        "delete": "hub.delete_providerkey",
    },
    "models": {"toggle": "hub.change_llmmodel"},
    "rules": {
        "create": "hub.add_tierrule",
        "update": "hub.change_tierrule",
        "delete": "hub.delete_tierrule",
    },
    "usage": {},
}
# The keys tab also lists providers (formats, model counts): shown with this permission.
PROVIDERS_VIEW_PERMISSION = "hub.view_provider"
# GET /api/v1/hub/access answers from the tier rules.
ACCESS_API_PERMISSION = "hub.view_tierrule"

# The group `seed_test_data` puts demo users in: everything the hub's pages read and write,
# and reading the telemetry dashboard the hub links to (so a demo user sees his own clicks
# counted); not "Aggregate now", which writes summaries.
HUB_USERS_GROUP = "hub users"
HUB_USER_PERMISSIONS: tuple[str, ...] = (
    *TAB_VIEW_PERMISSIONS.values(),
    PROVIDERS_VIEW_PERMISSION,
    "hub.view_tier",
    VIEW_DASHBOARD_PERMISSION,
    *(perm for actions in ACTION_PERMISSIONS.values() for perm in actions.values()),
)


def may_enter(user: Any) -> bool:
    """The pages are for active staff, like admin (is_staff_member_required's rule)."""
    return bool(user.is_active and user.is_staff)


def may_view(user: Any, tab: str) -> bool:
    return may_enter(user) and bool(user.has_perm(TAB_VIEW_PERMISSIONS[tab]))


def viewable_tabs(user: Any, tabs: list[str]) -> list[str]:
    return [tab for tab in tabs if may_view(user, tab)]


def allowed_actions(user: Any, tab: str) -> dict[str, bool]:
    """{action: allowed} for one tab; templates show a form only where it is True."""
    return {action: bool(user.has_perm(perm)) for action, perm in ACTION_PERMISSIONS[tab].items()}


def may_act(user: Any, tab: str, action: str) -> bool:
    perm = ACTION_PERMISSIONS[tab].get(action)
    return perm is not None and may_view(user, tab) and bool(user.has_perm(perm))


def may_see_telemetry_dashboard(user: Any) -> bool:
    """The dashboard's own rule (telemetry.permissions), so the link never leads to a 403."""
    return may_view_dashboard(user)


def hub_users_group_ensure() -> Group:
    """The "hub users" group; made with every permission the hub uses. A group that exists
    is left as it is (an admin may have narrowed it)."""
    group, created = Group.objects.get_or_create(name=HUB_USERS_GROUP)
    if created:
        group.permissions.add(*permission_objects(HUB_USER_PERMISSIONS))
    return group


def permission_objects(perms: tuple[str, ...] | list[str]) -> list[Permission]:
    """`app.codename` strings -> Permission rows (all of them, or KeyError naming the one
    missing: a renamed model must not silently drop a permission from the group)."""
    wanted = {_split(perm) for perm in perms}
    found = {
        (p.content_type.app_label, p.codename): p
        for p in Permission.objects.select_related("content_type").filter(
            codename__in=[codename for _, codename in wanted]
        )
    }
    missing = sorted(".".join(key) for key in wanted if key not in found)
    if missing:
        raise KeyError(f"unknown permissions: {', '.join(missing)}")
    return [found[key] for key in sorted(wanted)]


def _split(perm: str) -> tuple[str, str]:
    app_label, codename = perm.split(".", 1)
    return app_label, codename
