from django.apps import AppConfig


class HubConfig(AppConfig):
    name = "llmhub.hub"
    label = "hub"
    verbose_name = "LLM hub"

    def ready(self) -> None:
        from django.contrib import admin

        from llmhub.hub import checks  # noqa: F401  (registers the system checks)
        from llmhub.hub.login import HubLoginForm

        # The site's one login form (LOGIN_URL is admin's): it names a missing access.
        admin.site.login_form = HubLoginForm
