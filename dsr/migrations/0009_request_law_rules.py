"""Requests refer to a shared, stored law-rules version instead of carrying their own copy.

Each distinct set of law entries kept on existing requests becomes one `policies.LawRulesVersion`
(keyed by the SHA-256 of its canonical JSON, as `policies.services.rules_digest` computes it); every
request points at its version, and the per-row copy (`law_entries`) is dropped. A request that kept
no entries (filed before they were kept) keeps none: its deadlines are recomputed from the laws as
loaded, as before.
"""

import hashlib
import json
from collections import defaultdict

import django.db.models.deletion
from django.db import migrations, models

CHUNK = 1000


def digest(entries):
    # Must stay equal to policies.services.rules_digest.
    canonical = json.dumps(entries, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def share_law_entries(apps, schema_editor):
    Request = apps.get_model("dsr", "Request")
    LawRulesVersion = apps.get_model("policies", "LawRulesVersion")
    by_digest = defaultdict(list)
    entries_of = {}
    rows = Request.objects.exclude(law_entries={}).exclude(law_entries__isnull=True)
    for pk, entries in rows.values_list("pk", "law_entries").iterator(chunk_size=CHUNK):
        key = digest(entries)
        entries_of.setdefault(key, entries)
        by_digest[key].append(pk)
    LawRulesVersion.objects.bulk_create(
        [LawRulesVersion(sha256=key, entries=entries) for key, entries in entries_of.items()],
        ignore_conflicts=True,
    )
    for key, pks in by_digest.items():
        for start in range(0, len(pks), CHUNK):
            Request.objects.filter(pk__in=pks[start : start + CHUNK]).update(law_rules_id=key)


def copy_back(apps, schema_editor):
    Request = apps.get_model("dsr", "Request")
    LawRulesVersion = apps.get_model("policies", "LawRulesVersion")
    for version in LawRulesVersion.objects.all():
        Request.objects.filter(law_rules_id=version.sha256).update(law_entries=version.entries)


class Migration(migrations.Migration):
    dependencies = [
        ("dsr", "0008_identity_authority_roles"),
        ("policies", "0002_law_rules_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="request",
            name="law_rules",
            field=models.ForeignKey(
                blank=True,
                help_text="Those laws' rules as loaded at receipt (shared by the requests received under them); "
                "recomputations use them.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="policies.lawrulesversion",
            ),
        ),
        migrations.RunPython(share_law_entries, copy_back),
        migrations.RemoveField(model_name="request", name="law_entries"),
    ]
