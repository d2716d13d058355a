from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from flags.signals import flag_changed
        from notifications import receivers

        flag_changed.connect(receivers.on_flag_changed, dispatch_uid="notifications.flag_changed")
