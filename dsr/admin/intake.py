"""Manual intake in the staff admin: staff file a request received by post, phone or email.

The person's part is the public form (dsr.public.forms.RequestForm, the same fields and validation) for
the vendor chosen; staff add when and how it was received and whether the email is already verified.
The service (dsr.requests.intake.file_on_behalf) checks the rest and writes it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin import AdminSite
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from policies.models import Vendor
from policies.services import policy_in_force

from ..models import Request
from ..public.forms import RequestForm
from ..requests.errors import DomainError
from ..requests.intake import CHANNELS, file_on_behalf
from ..requests.selectors import staff_role
from ..requests.timeline import Actor


class ReceiptForm(forms.Form):
    """What staff add to the person's form: when and how it came in, and the email's proof."""

    received_at = forms.DateTimeField(
        label="Received on (date and time)",
        help_text="When the letter, call or email reached the vendor: the legal clock starts then (UTC).",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    channel = forms.ChoiceField(label="Received", choices=[(key, words) for key, words in CHANNELS.items()])
    language = forms.ChoiceField(label="The person's language (for every email to them)", choices=settings.LANGUAGES)
    email_check = forms.ChoiceField(
        label="The person's email address",
        choices=[
            ("link", "Send the verification link (the request is routed once they confirm)"),
            ("other", "Already verified by other means (say how below; routed at once)"),
        ],
        widget=forms.RadioSelect,
        initial="link",
    )
    email_note = forms.CharField(
        label="How the email address was verified",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example: the request came from this address, and the person confirmed it on the phone.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("email_check") == "other" and not str(data.get("email_note", "")).strip():
            self.add_error("email_note", "Say how the email address was verified.")
        return data


def filing_vendors(user: Any) -> list[Vendor]:
    """The vendors `user` may file for: those of their teams (superusers: all)."""
    return [v for v in Vendor.objects.order_by("name") if staff_role(user, v.pk) is not None]


def choose_vendor(request: HttpRequest, site: AdminSite) -> HttpResponse:
    context = {
        **site.each_context(request),
        "title": "File a request received by post, phone or email",
        "vendors": filing_vendors(request.user),
    }
    return TemplateResponse(request, "admin/dsr/request/file_choose.html", context)


def file_request(request: HttpRequest, site: AdminSite, slug: str) -> HttpResponse:
    vendor = Vendor.objects.filter(slug=slug).first()
    role = staff_role(request.user, vendor.pk) if vendor is not None else None
    if vendor is None or role is None:  # unknown, or another team's vendor: the same answer
        raise Http404
    now = timezone.now()
    version = policy_in_force(slug, now.date())
    data = request.POST if request.method == "POST" else None
    person = RequestForm(version, data, prefix="person")
    del person.fields["website"]  # the honeypot is for robots on the public form
    receipt = ReceiptForm(data, prefix="receipt", initial={"received_at": now.replace(second=0, microsecond=0)})
    if data is not None and person.is_valid() and receipt.is_valid():
        how = receipt.cleaned_data
        try:
            filed = file_on_behalf(
                person.submission(how["language"]),
                received_at=how["received_at"],
                channel=how["channel"],
                email_verified_by=how["email_note"] if how["email_check"] == "other" else None,
                actor=Actor.staff(request.user, role),
                now=now,
            )
        except DomainError as exc:
            receipt.add_error(None, str(exc))
        else:
            messages.success(request, f"Request {filed.reference} filed for {vendor.name}.")
            return redirect(reverse("admin:dsr_request_change", args=[filed.pk]))
    context = {
        **site.each_context(request),
        "title": f"File a request for {vendor.name}",
        "opts": Request._meta,
        "vendor": vendor,
        "person": person,
        "receipt": receipt,
    }
    return TemplateResponse(request, "admin/dsr/request/file.html", context)


def urls(site: AdminSite) -> list[URLPattern]:
    """The intake pages, under the request admin (/admin/dsr/request/file/)."""
    return [
        path("file/", site.admin_view(lambda r: choose_vendor(r, site)), name="dsr_request_file"),
        path(
            "file/<slug:slug>/",
            site.admin_view(lambda r, slug: file_request(r, site, slug)),
            name="dsr_request_file_for",
        ),
    ]
