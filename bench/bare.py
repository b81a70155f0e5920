"""The framework floor: a bare Django view writing the rows an intake writes (a request, an event, an
outbox row) in one transaction, behind the same middleware (sessions, CSRF, locale...). Bench only."""

from __future__ import annotations

import functools

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from dsr.models import Event, OutgoingEmail, Request
from policies.models import PolicyVersion


@functools.cache
def _version_ids(slug: str) -> tuple[int, int]:
    version = PolicyVersion.objects.filter(vendor__slug=slug).order_by("-number").values("pk", "vendor_id").first()
    assert version is not None, f"no policy for {slug}: load_policies first"
    return version["vendor_id"], version["pk"]


@require_POST
def bare_intake(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    vendor_id, version_id = _version_ids(request.POST.get("vendor", "leadsment"))
    email = request.POST.get("email", "")
    with transaction.atomic():
        row = Request.objects.create(
            vendor_id=vendor_id,
            policy_version_id=version_id,
            request_type=request.POST.get("request_type", ""),
            relationships=request.POST.getlist("relationship"),
            country=request.POST.get("country", ""),
            subject_name=request.POST.get("subject_name", ""),
            subject_email=email,
            details=request.POST.get("details", ""),
            received_at=now,
        )
        Event.objects.create(request=row, at=now, kind="submitted", actor="subject", message="Request received.")
        OutgoingEmail.objects.create(
            key=f"{row.reference}:verify", request=row, kind="verify", to=email, subject="Confirm", body_text="."
        )
    return HttpResponseRedirect(f"/request/sent/{row.reference}/")
