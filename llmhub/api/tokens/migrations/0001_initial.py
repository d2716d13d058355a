"""API tokens move here from the flags app: Django's state only, the table stays as it is.

The table `flags_apitoken` (created by flags 0002) is neither copied nor renamed; this app takes
the model over in Django's state, and flags 0003 lets go of it. The content type is renamed
with it, so the permissions people hold on tokens (and admin log entries) follow the model.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _rename_content_type(apps, from_label: str, to_label: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    if content_type.objects.filter(app_label=to_label, model="apitoken").exists():
        return  # already there (a database migrated before content types existed)
    content_type.objects.filter(app_label=from_label, model="apitoken").update(app_label=to_label)


def take_content_type(apps, schema_editor) -> None:
    _rename_content_type(apps, "flags", "tokens")


def give_back_content_type(apps, schema_editor) -> None:
    _rename_content_type(apps, "tokens", "flags")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("flags", "0002_apitoken"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ApiToken",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("label", models.CharField(help_text="What uses this token, e.g. 'billing-svc'.", max_length=100)),
                        ("prefix", models.CharField(db_index=True, editable=False, max_length=16)),
                        ("key_hash", models.CharField(editable=False, max_length=64, unique=True)),
                        ("scope", models.CharField(choices=[("read", "read: evaluate and list flags"), ("write", "write: also change flags")], default="read", max_length=10)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("last_used_at", models.DateTimeField(blank=True, editable=False, null=True)),
                        ("revoked_at", models.DateTimeField(blank=True, editable=False, null=True)),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="api_tokens", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "API token",
                        "db_table": "flags_apitoken",
                        "ordering": ["-created_at", "-id"],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(take_content_type, give_back_content_type),
    ]
