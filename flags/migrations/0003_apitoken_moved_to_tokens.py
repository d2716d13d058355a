"""API tokens now belong to the tokens app (llmhub.api.tokens, its 0001): Django's state only.

The table `flags_apitoken` stays where flags 0002 created it, rows untouched.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("flags", "0002_apitoken"),
        ("tokens", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ApiToken")],
            database_operations=[],
        ),
    ]
