from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "llmhub.api.tokens"
    label = "tokens"
    verbose_name = "API tokens"
