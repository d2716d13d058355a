from django.apps import AppConfig


class FlagsConfig(AppConfig):
    name = "flags"
    verbose_name = "Feature flags"

    def ready(self) -> None:
        from django.contrib.auth.models import Group, User
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

        from flags import user_groups
        from flags.declared import ensure_declared_flags_after_migrate

        post_migrate.connect(ensure_declared_flags_after_migrate, sender=self)
        # `group:<name>` whitelist entries: forget cached memberships when they change here.
        user_logged_in.connect(user_groups.forget_user, dispatch_uid="flags.groups.login")
        m2m_changed.connect(
            user_groups.forget_members, sender=User.groups.through, dispatch_uid="flags.groups.m2m"
        )
        post_save.connect(user_groups.forget_all, sender=Group, dispatch_uid="flags.groups.save")
        post_delete.connect(user_groups.forget_all, sender=Group, dispatch_uid="flags.groups.del")
