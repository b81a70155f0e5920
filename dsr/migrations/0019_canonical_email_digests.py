"""Repeated requests and staff search match an address by the mailbox it reaches (case, and plus tags
and dots where the provider ignores them): the digests of requests that still hold their address are
recomputed in that form. Purged requests have no address and keep their blank digest."""

from django.db import migrations


def recompute(apps, schema_editor):
    from dsr.security.ratelimit import email_digest

    Request = apps.get_model("dsr", "Request")
    changed = []
    for request in Request.objects.exclude(subject_email="").only("pk", "subject_email", "email_digest").iterator():
        digest = email_digest(request.subject_email)
        if digest != request.email_digest:
            request.email_digest = digest
            changed.append(request)
    Request.objects.bulk_update(changed, ["email_digest"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("dsr", "0018_assignment_link_generation")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
