from django.apps import AppConfig


class FlagsConfig(AppConfig):
    name = "flags"
    verbose_name = "Feature flags"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from flags.declared import ensure_declared_flags_after_migrate

        post_migrate.connect(ensure_declared_flags_after_migrate, sender=self)
