"""The staff dashboard, the register export and the CCPA yearly figures in the admin.

Thin: every number comes from dsr.requests.stats, .register and .ccpa, for the staff member's vendors
only; these views read the query string, check the vendor is one of the staff member's, and render.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from policies.models import Vendor
from policies.services import laws_in_force

from ..models import Request
from ..requests import ccpa, register, stats
from ..requests.selectors import is_vendor_staff, staff_role
from . import charts


def staff_vendors(user: Any) -> list[Vendor]:
    """The vendors `user` works on (superusers: all)."""
    return [v for v in Vendor.objects.order_by("name") if staff_role(user, v.pk) is not None]


def check_staff(request: HttpRequest) -> None:
    if not is_vendor_staff(request.user):
        raise PermissionDenied


class RegisterForm(forms.Form):
    vendor = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    received_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    received_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    request_type = forms.ChoiceField(required=False, label="Type")
    law = forms.ChoiceField(required=False)
    status = forms.ChoiceField(required=False)

    def __init__(self, *args: Any, vendors: list[Vendor], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        every = [("", "All")]
        self.fields["vendor"].choices = every + [(v.pk, v.name) for v in vendors]  # type: ignore[attr-defined]
        self.fields["request_type"].choices = every + register.request_types()  # type: ignore[attr-defined]
        self.fields["law"].choices = every + [(c, c) for c in sorted(laws_in_force().entries)]  # type: ignore[attr-defined]
        self.fields["status"].choices = every + list(Request.Status.choices)  # type: ignore[attr-defined]

    def filters(self) -> register.Filters:
        data = self.cleaned_data
        return register.Filters(
            vendor_id=data["vendor"],
            received_from=data["received_from"],
            received_to=data["received_to"],
            request_type=data["request_type"],
            law=data["law"],
            status=data["status"],
        )


class CcpaForm(forms.Form):
    vendor = forms.ChoiceField()
    year = forms.IntegerField(min_value=2020, max_value=2100)

    def __init__(self, *args: Any, vendors: list[Vendor], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["vendor"].choices = [(v.slug, v.name) for v in vendors]  # type: ignore[attr-defined]


class Echo:
    """csv.writer's file: hands each line back instead of storing it, so the register streams."""

    def write(self, value: str) -> str:
        return value


def stream_csv(lines: Iterable[tuple[str, ...]], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(Echo())
    response = StreamingHttpResponse((writer.writerow(line) for line in lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def dashboard(request: HttpRequest, site: AdminSite) -> HttpResponse:
    check_staff(request)
    now = timezone.now()
    requests_url = reverse("admin:dsr_request_changelist")
    emails_url = reverse("admin:dsr_outgoingemail_changelist")
    tiles = [
        (tile, f"{emails_url if tile.target == 'outgoingemail' else requests_url}?{tile.query}")
        for tile in stats.queue_tiles(request.user, now)
    ]
    series = [(s, [charts.rate_chart(s), charts.days_chart(s)]) for s in stats.monthly(request.user, now)]
    vendors = staff_vendors(request.user)
    context = {
        **site.each_context(request),
        "title": "Dashboard",
        "tiles": tiles,
        "series": series,
        "register_form": RegisterForm(vendors=vendors),
        "ccpa_form": CcpaForm(vendors=vendors, initial={"year": now.year - 1}),
        "excluded": [Request.Status(s).label for s in stats.NOT_ANSWERED],
    }
    return TemplateResponse(request, "admin/dsr/dashboard.html", context)


def register_csv(request: HttpRequest, site: AdminSite) -> HttpResponse | StreamingHttpResponse:
    check_staff(request)
    form = RegisterForm(request.GET, vendors=staff_vendors(request.user))
    if not form.is_valid():
        # Another team's vendor is not among the choices: refused like any other wrong value.
        return HttpResponseBadRequest("These filters are not valid: " + form.errors.as_text())
    filters = form.filters()
    now = timezone.now()
    register.record_export(request.user, filters, now=now)
    return stream_csv(register.lines(request.user, filters), f"register-{now:%Y-%m-%d}.csv")


def ccpa_figures(request: HttpRequest, site: AdminSite) -> HttpResponse | StreamingHttpResponse:
    check_staff(request)
    vendors = staff_vendors(request.user)
    form = CcpaForm(request.GET or None, vendors=vendors, initial={"year": timezone.now().year - 1})
    report = None
    if form.is_bound:
        if not form.is_valid():
            if "vendor" in form.errors:  # unknown, or another team's vendor: the same answer
                raise Http404
            return HttpResponseBadRequest("These filters are not valid: " + form.errors.as_text())
        vendor = next(v for v in vendors if v.slug == form.cleaned_data["vendor"])
        report = ccpa.yearly_figures(vendor, form.cleaned_data["year"])
        if request.GET.get("format") == "csv":
            return stream_csv(ccpa.csv_lines(report), f"ccpa-7102-{vendor.slug}-{report.year}.csv")
    context = {
        **site.each_context(request),
        "title": "CCPA yearly figures (11 CCR § 7102)",
        "form": form,
        "report": report,
        "definition": ccpa.definition(),
        "query": request.GET.urlencode(),
    }
    return TemplateResponse(request, "admin/dsr/ccpa.html", context)


def urls(site: AdminSite) -> list[URLPattern]:
    """Under the request admin: /admin/dsr/request/dashboard/, register.csv and ccpa/."""
    return [
        path("dashboard/", site.admin_view(lambda r: dashboard(r, site)), name="dsr_dashboard"),
        path("register.csv", site.admin_view(lambda r: register_csv(r, site)), name="dsr_register"),
        path("ccpa/", site.admin_view(lambda r: ccpa_figures(r, site)), name="dsr_ccpa"),
    ]
