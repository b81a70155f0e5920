"""Outgoing email in the staff admin: read-only, each staff member sees only their vendors' mail."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from policies.admin import ReadOnly

from ..models import OutgoingEmail
from ..requests.selectors import is_vendor_staff, visible_emails


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnly, admin.ModelAdmin[OutgoingEmail]):
    list_display = ("created_at", "kind", "to", "subject", "status", "attempts", "next_attempt_at")
    list_filter = ("status", "kind")
    search_fields = ("key", "subject")
    exclude = ("body_html",)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_vendor_staff(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_vendor_staff(request.user)

    def get_queryset(self, request: HttpRequest) -> QuerySet[OutgoingEmail]:
        return visible_emails(request.user, super().get_queryset(request).defer("body_text", "body_html"))
