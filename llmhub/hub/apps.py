from django.apps import AppConfig


class HubConfig(AppConfig):
    name = "llmhub.hub"
    label = "hub"
    verbose_name = "LLM hub"

    def ready(self) -> None:
        from llmhub.hub import checks  # noqa: F401  (registers the system checks)
