"""The API's own records: its clients, which client filed which request, idempotency keys, the call log."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from dsr.models import Request
from policies.models import Vendor


class ApiClient(models.Model):
    """A system that files and follows requests through the API: an authorised agent or a vendor's own app.

    Created by staff (api.admin); authenticated by a secret shown once at creation and stored as a hash
    (`key_prefix` finds the row, the hash is compared in constant time).
    """

    class Kind(models.TextChoices):
        AGENT = "agent", "Authorised agent (files for people who gave it their signed permission)"
        VENDOR_SYSTEM = "vendor_system", "The vendor's own system (the person asked there)"

    name = models.CharField(max_length=200, help_text="Shown on each request's timeline.")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    vendors = models.ManyToManyField(Vendor, related_name="api_clients")
    key_prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    callback_url = models.URLField(max_length=500, blank=True, help_text="Where status changes are POSTed (https).")
    secret_generation = models.PositiveIntegerField(default=1, editable=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return self.name

    # Django REST framework's permission checks read this of `request.user`, which is the client here.
    is_authenticated = True


class ClientRequest(models.Model):
    """The request a client filed: what it may read, withdraw and hear about."""

    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="filed")
    request = models.OneToOneField(Request, on_delete=models.CASCADE, related_name="api_filing")

    def __str__(self) -> str:
        return f"{self.request_id} filed by {self.client_id}"


class IdempotencyKey(models.Model):
    """The first answer to a call with an `Idempotency-Key`, returned again to a retry (kept KEY_LIFETIME)."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the method, path and body.")
    status_code = models.PositiveSmallIntegerField(default=0, help_text="0 while the first call runs.")
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="api_idempotency_key_per_client")]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code or 'running'})"


class ApiCall(models.Model):
    """One call to the API: who, what, when, the answer's status. Never anything from the body."""

    client = models.ForeignKey(ApiClient, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    status_code = models.PositiveSmallIntegerField()
    at = models.DateTimeField(default=timezone.now, db_index=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status_code}"
