"""Django's own user and group admins, registered again with saves that write only what changed
(an unchanged user form would otherwise cut the microseconds off `date_joined` and `last_login`)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User

from llmhub.admin_saving import SaveChangedFieldsMixin


class ChangedOnlyUserAdmin(SaveChangedFieldsMixin, UserAdmin):
    pass


class ChangedOnlyGroupAdmin(SaveChangedFieldsMixin, GroupAdmin):
    pass


for model, model_admin in ((User, ChangedOnlyUserAdmin), (Group, ChangedOnlyGroupAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
