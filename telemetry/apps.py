from django.apps import AppConfig


class TelemetryConfig(AppConfig):
    name = "telemetry"

    def ready(self) -> None:
        from django.core.signals import got_request_exception

        from flags.signals import flag_changed
        from llmhub.api.tokens.signals import token_changed
        from telemetry import receivers

        flag_changed.connect(receivers.on_flag_changed, dispatch_uid="telemetry.flag_changed")
        token_changed.connect(receivers.on_token_changed, dispatch_uid="telemetry.token_changed")
        got_request_exception.connect(
            receivers.on_request_exception, dispatch_uid="telemetry.request_exception"
        )
