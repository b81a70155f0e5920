"""Vendors, their policies and the laws, as data.

Every fact row carries `cite`: the passage of the vendor's policy it was read from (a short verbatim
quote). Rows are written only by `policies.loader` from the versioned files in policies/data/ and are
never edited by hand: the admin shows them read-only.

A vendor's policy is versioned: a changed file makes a new `PolicyVersion` with its own effective
date, and a request is judged by the version in force on the day it was received.
"""

from __future__ import annotations

import datetime as dt

from django.db import models

from . import vocabulary
from .document import PolicyDocument

# Parsed policy documents, by (version id, sha256): versions are never changed once loaded.
_PARSED: dict[tuple[int, str], PolicyDocument] = {}
_PARSED_MAX = 256


def _choices(mapping: dict[str, str]) -> list[tuple[str, str]]:
    return [(key, key.replace("_", " ")) for key in mapping]


class Law(models.Model):
    """One law's rules (rights, deadlines, extensions, ...) from policies/data/laws.yaml.

    `data` holds the entry as written in the file; `policies.laws.parse_law` turns it into the typed
    rules the deadline engine reads. Each value keeps its V/S/U verification mark.
    """

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=300)
    jurisdictions = models.JSONField(default=list)
    data = models.JSONField()
    sha256 = models.CharField(max_length=64)
    revision = models.PositiveIntegerField(default=1, help_text="Goes up each time the law's entry changes.")
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"


class LawRulesVersion(models.Model):
    """The rules of a set of laws as they stood when a request was received, shared by every request
    received under the same rules.

    Its key is the SHA-256 of the entries (`policies.services.rules_digest`), so the row for one set of
    entries is written once and never changed: a later change to laws.yaml makes a new version and
    leaves running requests on the one they were received under.
    """

    sha256 = models.CharField(max_length=64, primary_key=True)
    entries = models.JSONField(help_text="{law code: entry as in laws.yaml}, as the deadline engine reads it.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "law rules version"

    def __str__(self) -> str:
        return f"{', '.join(self.entries)} ({self.sha256[:12]})"


class SupervisoryAuthority(models.Model):
    """A data-protection authority from the laws file (where complaints go): a country's, or a region's where
    the country's are regional (a German Land's, keyed "DE-BB")."""

    country = models.CharField(max_length=8, unique=True)
    name = models.CharField(max_length=300)
    address = models.CharField(max_length=300, blank=True)
    website = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=8, help_text="V verified, S secondary sources, U unverified")
    sources = models.JSONField(default=list)
    laws = models.JSONField(default=list, help_text="The laws whose complaints it hears (law codes).")

    class Meta:
        verbose_name_plural = "supervisory authorities"
        ordering = ["country"]

    def __str__(self) -> str:
        return f"{self.country}: {self.name}"


class Vendor(models.Model):
    """One of the organisations we serve. Its facts live on its policy versions."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200, help_text="Brand name, from the policy in force.")

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name

    def policy_in_force(self, on: dt.date) -> PolicyVersion | None:
        """The version whose effective date is the latest one on or before `on`.

        A request received before the first encoded version is judged by the first version: it is the
        oldest text we have, and the caller is told by `PolicyVersion.effective_date > on`.
        """
        # A correction of the encoding (same date, higher number) takes over from the version it corrects.
        latest_first = self.versions.order_by("-effective_date", "-number")
        return (
            latest_first.filter(effective_date__lte=on).first()
            or self.versions.order_by("effective_date", "-number").first()
        )


class PolicyVersion(models.Model):
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    effective_date = models.DateField()
    published_date = models.DateField(null=True, blank=True, help_text="The date the policy itself shows, if any.")
    published_cite = models.TextField(blank=True)
    title = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=300, help_text="The policy text this version was read from.")
    data_file = models.CharField(max_length=300)
    sha256 = models.CharField(max_length=64, help_text="Of the file's content, to see whether it changed.")
    document = models.JSONField(help_text="The validated file as loaded, for review and diffing.")
    loaded_at = models.DateTimeField(auto_now_add=True)

    legal_name = models.CharField(max_length=200, blank=True)
    legal_name_cite = models.TextField(blank=True)
    brand = models.CharField(max_length=200, blank=True)
    brand_cite = models.TextField(blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="Empty where the policy does not say.")
    country_cite = models.TextField(blank=True)
    timezone = models.CharField(max_length=64, default="UTC", help_text="Where the vendor's deadlines end.")
    address = models.CharField(max_length=300, blank=True)
    address_cite = models.TextField(blank=True)
    website = models.CharField(max_length=300, blank=True)
    website_cite = models.TextField(blank=True)

    authority_name = models.CharField(max_length=300, blank=True)
    authority_country = models.CharField(max_length=2, blank=True)
    authority_website = models.CharField(max_length=300, blank=True)
    authority_cite = models.TextField(blank=True)

    class Meta:
        ordering = ["vendor", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "number"], name="policy_version_number_unique"),
            # Several versions may share a date: a later number with the same date corrects the encoding.
        ]

    def __str__(self) -> str:
        return f"{self.vendor.slug} v{self.number} (in force from {self.effective_date:%Y-%m-%d})"

    @property
    def policy(self) -> PolicyDocument:
        """The policy as typed data (policies/document.py), parsed once per process for each version."""
        key = (self.pk, self.sha256)
        parsed = _PARSED.get(key)
        if parsed is None:
            parsed = PolicyDocument.parse(self.document)
            if self.pk is not None:
                if len(_PARSED) >= _PARSED_MAX:
                    _PARSED.clear()
                _PARSED[key] = parsed
        return parsed

    def contact(self, kind: str) -> Contact | None:
        """The contact of that kind that has an email address, if the policy gives one."""
        return self.contacts.filter(kind=kind).exclude(email="").first()


class Fact(models.Model):
    """Base of every fact read from a policy: it belongs to one version and names its passage."""

    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="+")
    cite = models.TextField(blank=True, help_text="The passage of the policy this fact comes from.")

    class Meta:
        abstract = True


class DataCategory(models.Model):
    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="categories")
    key = models.SlugField(max_length=80)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    role = models.CharField(max_length=12, choices=_choices(vocabulary.ROLES))
    role_cite = models.TextField(blank=True)
    relationships = models.JSONField(default=list, help_text="Keys from policies.vocabulary.RELATIONSHIPS")
    relationships_cite = models.TextField(blank=True)
    controller_when_processor = models.TextField(
        blank=True, help_text="Where the vendor is only a processor: who the controller is, in the policy's words."
    )
    lawful_bases = models.JSONField(default=list)
    limited_rights = models.JSONField(default=list, help_text="[{right, reason, cite}]")

    class Meta:
        verbose_name_plural = "data categories"
        ordering = ["version", "key"]
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="category_key_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.role})"


class RetentionRule(models.Model):
    category = models.ForeignKey(DataCategory, on_delete=models.CASCADE, related_name="retention_rules")
    amount = models.PositiveIntegerField(null=True, blank=True, help_text="Empty where the policy gives no period.")
    unit = models.CharField(max_length=8, blank=True, choices=[(u, u) for u in vocabulary.RETENTION_UNITS])
    indefinite = models.BooleanField(default=False)
    starts = models.CharField(max_length=32, choices=_choices(vocabulary.RETENTION_EVENTS))
    legal_obligation = models.BooleanField(
        default=False, help_text="Kept because a law requires it: erasure is limited to restriction."
    )
    description = models.TextField(blank=True)
    cite = models.TextField(blank=True)

    class Meta:
        ordering = ["category", "id"]

    def __str__(self) -> str:
        return self.period_text

    @property
    def period_text(self) -> str:
        if self.indefinite:
            return "indefinitely"
        if self.amount is None:
            return "period not stated"
        unit = self.unit if self.amount != 1 else self.unit.rstrip("s")
        return f"{self.amount} {unit} {vocabulary.RETENTION_EVENTS.get(self.starts, self.starts)}"


class Recipient(Fact):
    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="recipients")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=24, choices=_choices(vocabulary.RECIPIENT_KINDS))
    purpose = models.TextField(blank=True)
    region = models.CharField(max_length=200, blank=True)
    categories = models.JSONField(default=list, help_text="Category keys, or ['all'].")

    class Meta:
        ordering = ["version", "name"]

    def __str__(self) -> str:
        return self.name


class Contact(Fact):
    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField(max_length=24, choices=_choices(vocabulary.CONTACT_KINDS))
    email = models.EmailField(blank=True, help_text="Empty where the policy gives none or a placeholder.")
    name = models.CharField(max_length=200, blank=True)
    url = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["version", "kind"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.email or 'no address'}"


class Promise(Fact):
    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="promises")
    kind = models.CharField(max_length=24, choices=_choices(vocabulary.PROMISE_KINDS))
    amount = models.PositiveIntegerField()
    unit = models.CharField(max_length=16, choices=[(u, u) for u in vocabulary.PROMISE_UNITS])
    applies_to = models.JSONField(default=list, help_text="Request types, or ['all'].")

    class Meta:
        ordering = ["version", "kind"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.amount} {self.unit}"


class RightGrant(Fact):
    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="rights")
    right = models.CharField(max_length=32, choices=_choices(vocabulary.RIGHTS))
    scope = models.CharField(max_length=24, default="all_data")

    class Meta:
        ordering = ["version", "right"]

    def __str__(self) -> str:
        return self.right


class LawApplicability(Fact):
    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="laws")
    law = models.ForeignKey(Law, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name_plural = "laws served"
        ordering = ["version", "law__code"]

    def __str__(self) -> str:
        return self.law.code


class PolicyGap(Fact):
    """Something routing or answering needs that the policy does not say (or only as a placeholder)."""

    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="gaps")
    field = models.CharField(max_length=120)
    note = models.TextField()

    class Meta:
        ordering = ["version", "field"]

    def __str__(self) -> str:
        return f"{self.field}: {self.note}"
