"""A request covers the whole person: the one relationship becomes the set the person ticked.

Each existing row keeps its relationship as a one-element set (copied before the old column goes), and
going back restores it from the set's first element, so no row loses what the person said.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models


def copy_forward(apps: Any, schema_editor: Any) -> None:
    Request = apps.get_model("dsr", "Request")
    for pk, relationship in Request.objects.values_list("pk", "relationship").iterator():
        Request.objects.filter(pk=pk).update(relationships=[relationship] if relationship else [])


def copy_back(apps: Any, schema_editor: Any) -> None:
    Request = apps.get_model("dsr", "Request")
    for pk, relationships in Request.objects.values_list("pk", "relationships").iterator():
        Request.objects.filter(pk=pk).update(relationship=(relationships or [""])[0])


class Migration(migrations.Migration):
    dependencies = [("dsr", "0020_new_request_types")]

    operations = [
        migrations.AddField(
            model_name="request",
            name="relationships",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Every way the person said the vendor has their data (keys of "
                "policies.vocabulary.RELATIONSHIPS); empty: they were not sure. The request covers them all.",
            ),
        ),
        migrations.AlterField(
            model_name="request",
            name="relationship",
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.RunPython(copy_forward, copy_back, elidable=False),
        migrations.RemoveField(model_name="request", name="relationship"),
        migrations.AlterField(
            model_name="assignment",
            name="action",
            field=models.CharField(
                choices=[
                    ("fulfil", "Answer the request as controller"),
                    ("assist_controller", "Forward to the controller and assist it"),
                    ("propagate", "Tell the recipient to act on the request"),
                    ("resolve_gap", "Decide who answers: the policy lacks a fact"),
                    ("review", "Check what data is held about the person and who answers"),
                ],
                max_length=20,
            ),
        ),
    ]
