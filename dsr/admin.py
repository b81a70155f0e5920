"""Requests in the staff admin, read-only for now: the timeline, assignments, pauses and emails.

State changes go through dsr.workflow (extend, pause, close) and arrive with the staff admin site
and its per-vendor teams; until then staff see everything here and change nothing by hand.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from policies.admin import ReadOnly, ReadOnlyInline

from .models import Assignment, Event, OutgoingEmail, Pause, Request
from .workflow import due_date


class AssignmentInline(ReadOnlyInline):
    model = Assignment
    fields = ("responder_name", "responder_email", "action", "status", "due_at", "partial", "policy_gap", "explanation")


class PauseInline(ReadOnlyInline):
    model = Pause
    fields = ("kind", "started_on", "ended_on", "reason")


class EventInline(ReadOnlyInline):
    model = Event
    fields = ("at", "kind", "actor", "message", "redacted")


class EmailInline(ReadOnlyInline):
    model = OutgoingEmail
    fields = ("created_at", "kind", "to", "subject", "status", "attempts", "last_error")


@admin.register(Request)
class RequestAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("reference", "vendor", "request_type", "status", "received_at", "response_due", "extended")
    list_filter = ("status", "vendor", "request_type", "extended")
    list_select_related = ("vendor", "policy_version")
    search_fields = ("reference",)
    date_hierarchy = "received_at"
    exclude = ("deadlines", "email_digest")
    inlines = [AssignmentInline, PauseInline, EventInline, EmailInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Request]:
        return super().get_queryset(request).defer("details", "deadlines")

    @admin.display(description="answer due (responder's date)")
    def response_due(self, obj: Request) -> str:
        day = due_date(obj)
        return day.isoformat() if day else "—"


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("created_at", "kind", "to", "subject", "status", "attempts", "next_attempt_at")
    list_filter = ("status", "kind")
    search_fields = ("key", "subject")
    exclude = ("body_html",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[OutgoingEmail]:
        return super().get_queryset(request).defer("body_text", "body_html")
