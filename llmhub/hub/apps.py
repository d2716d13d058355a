from django.apps import AppConfig


class HubConfig(AppConfig):
    name = "llmhub.hub"
    label = "hub"
    verbose_name = "LLM hub"
