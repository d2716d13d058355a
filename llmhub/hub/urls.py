"""Routes of the LLM hub (pages and the access-check API).

Included at the root before admin's URLs, so /admin/llm-management/ is ours, not admin's.
"""

from django.urls import URLPattern, URLResolver, path

from llmhub.hub.views.api import AccessCheckView
from llmhub.hub.views.feedback import FeedbackView, back_to_old_pages, try_new_hub
from llmhub.hub.views.pages import hub_root, hub_tab, old_page, site_root

app_name = "hub"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", site_root, name="home"),
    path("admin/llm-management/", hub_root, name="root"),
    path("admin/llm-management/old/<slug:page>/", old_page, name="old"),
    # Before the tab pattern, which would take these slugs for tabs.
    path("admin/llm-management/back-to-old-pages/", back_to_old_pages, name="back_to_old"),
    path("admin/llm-management/try-new-hub/", try_new_hub, name="try_new_hub"),
    path("admin/llm-management/<slug:tab>/", hub_tab, name="tab"),
    path("api/v1/hub/access", AccessCheckView.as_view(), name="access"),
    path("api/v1/hub/feedback", FeedbackView.as_view(), name="feedback"),
]
