from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("dsr", "0021_request_relationships")]

    operations = [
        migrations.AddField(
            model_name="request",
            name="province",
            field=models.CharField(
                blank=True,
                help_text="Canadian province or territory, where the person lives in Canada.",
                max_length=2,
            ),
        ),
    ]
