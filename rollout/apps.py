from django.apps import AppConfig


class RolloutConfig(AppConfig):
    name = "rollout"
    verbose_name = "Rollout plans"

    def ready(self) -> None:
        from flags.signals import flag_changed
        from rollout.receivers import pause_on_manual_change

        flag_changed.connect(pause_on_manual_change, dispatch_uid="rollout_pause_on_manual_change")
