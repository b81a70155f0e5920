"""Outgoing email and callbacks in the staff admin: read-only, each staff member sees only their vendors'.

Failed email is sent again from here (the list's action, or the button on an email's page), and so are
failed callbacks (the list's action), through dsr.requests.mail. Signed links in what staff read are
masked: staff see where a link went, never the person's live link. Opening an email's page is reading the
person's data (their address, the email's text): it is put on the request's timeline (dsr.requests.audit),
as opening the request's page is; the list, as the requests' list, is not.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from policies.admin import ReadOnly

from ..models import OutgoingEmail, OutgoingWebhook
from ..requests import audit, mail
from ..requests.selectors import staff_role, visible_emails, visible_webhooks
from ..requests.timeline import Actor
from ..security.tokens import hide_links
from ..templatetags.dsr_lookalike import staff_email
from .access import VendorStaffViews


def said(count: int) -> str:
    return f"{count} failed email{'' if count == 1 else 's'} queued again."


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(VendorStaffViews, ReadOnly, admin.ModelAdmin[OutgoingEmail]):
    list_display = ("created_at", "kind", "recipient", "subject", "status", "attempts", "next_attempt_at")
    list_filter = ("status", "kind")
    search_fields = ("key", "subject")
    fields = (
        "key",
        "request",
        "kind",
        "recipient",
        "language",
        "subject",
        "body",
        "template_context",
        "status",
        "urgent",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
    )
    readonly_fields = ("recipient", "body", "template_context")
    actions = ["retry"]
    change_form_template = "admin/dsr/outgoingemail/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[OutgoingEmail]:
        return visible_emails(request.user, super().get_queryset(request).defer("body_html"))

    @admin.display(description="to", ordering="to")
    def recipient(self, obj: OutgoingEmail) -> str:
        """The address as staff read every address: as the mail system sees it, look-alikes flagged."""
        return staff_email(obj.to)

    @admin.display(description="body (links hidden)")
    def body(self, obj: OutgoingEmail) -> str:
        return hide_links(obj.body_text)

    @admin.display(description="template context (links hidden; until the worker renders it)")
    def template_context(self, obj: OutgoingEmail) -> str:
        return hide_links(json.dumps(obj.context, ensure_ascii=False)) if obj.context is not None else "—"

    @admin.action(description="Send the selected failed emails again")
    def retry(self, request: HttpRequest, queryset: QuerySet[OutgoingEmail]) -> None:
        count = mail.retry_failed(request.user, queryset.values_list("pk", flat=True), now=timezone.now())
        if count:
            messages.success(request, said(count))
        else:
            messages.warning(request, "None of the selected emails had failed: nothing was queued again.")

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(require_POST(self.retry_one))
        return [path("<int:pk>/retry/", view, name="dsr_outgoingemail_retry"), *super().get_urls()]

    def retry_one(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.get_queryset(request).filter(pk=pk).exists():  # not there, or another vendor's
            raise Http404
        count = mail.retry_failed(request.user, [pk], now=timezone.now())
        if count:
            messages.success(request, said(count))
        else:
            messages.warning(request, "Only a failed email can be sent again.")
        return redirect(reverse("admin:dsr_outgoingemail_change", args=[pk]))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        found = self.get_queryset(request).filter(pk=object_id).first() if object_id.isdigit() else None
        target = found.request if found is not None else None
        role = staff_role(request.user, target.vendor_id) if target is not None else None
        if found is not None and target is not None and role is not None:
            # The page shows the person's address and the email's text: who read it, and when, is on the
            # request's record, as for the request's own page (one entry per person per hour).
            what = f"the page of outgoing email {found.pk}, {found.kind}"
            audit.record_view(target, actor=Actor.staff(request.user, role), now=timezone.now(), what=what)
        can_retry = found is not None and found.status == OutgoingEmail.Status.FAILED
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "can_retry": can_retry})


@admin.register(OutgoingWebhook)
class OutgoingWebhookAdmin(VendorStaffViews, ReadOnly, admin.ModelAdmin[OutgoingWebhook]):
    """Status callbacks to API clients and agents: where each went, whether it arrived, and why not."""

    list_display = ("created_at", "request", "url", "status", "attempts", "next_attempt_at", "last_error")
    list_filter = ("status",)
    search_fields = ("key", "url")
    fields = (
        "key",
        "request",
        "url",
        "body",
        "secret_ref",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "last_error",
        "created_at",
    )
    actions = ["retry"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OutgoingWebhook]:
        return visible_webhooks(request.user, super().get_queryset(request).select_related("request"))

    @admin.action(description="Send the selected failed callbacks again")
    def retry(self, request: HttpRequest, queryset: QuerySet[OutgoingWebhook]) -> None:
        count = mail.retry_failed_webhooks(request.user, queryset.values_list("pk", flat=True), now=timezone.now())
        if count:
            messages.success(request, f"{count} failed callback{'' if count == 1 else 's'} queued again.")
        else:
            messages.warning(request, "None of the selected callbacks had failed: nothing was queued again.")
