from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operator commands that span apps (setting up a test database)."""

    name = "llmhub.ops"
    label = "ops"
    verbose_name = "Operations"
