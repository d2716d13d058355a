"""Who gets the unified hub: the `unified_llm_hub` flag, asked on every request.

The flag store keeps a per-process snapshot and publishes each committed change, so a kill
switch or a rollback shows on the very next page load.
"""

from __future__ import annotations

from typing import NamedTuple

from django.http import HttpRequest

import flags

HUB_FLAG = "unified_llm_hub"


class Tab(NamedTuple):
    slug: str
    title: str
    old_page: str  # the old page that shows the same data


TABS = [
    Tab("keys", "Provider keys", "providers"),
    Tab("models", "Model catalog", "models"),
    Tab("rules", "Tier rules", "routing"),
    Tab("usage", "Usage", "usage"),
]
TAB_SLUGS = [tab.slug for tab in TABS]
OLD_PAGES_TITLES = {
    "providers": "Providers & keys",
    "models": "Models",
    "routing": "Routing",
    "usage": "Usage",
}


def hub_enabled_for(request: HttpRequest) -> bool:
    return flags.is_enabled(HUB_FLAG, request=request)


def old_page_for(tab: str) -> str:
    return next(item.old_page for item in TABS if item.slug == tab)
