"""Requests in the staff admin: each staff member sees only the vendors they work on.

Nothing on a request is edited by hand. Staff act through buttons that call dsr.requests.workflow (ask the
person for information, record their answer, extend, close), each of which checks the transition,
writes the timeline and emails the person.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from policies.admin import ReadOnly, ReadOnlyInline

from ..models import Assignment, Event, OutgoingEmail, Pause, Request
from ..requests import schedule, transitions, workflow
from ..requests.errors import DomainError
from ..requests.selectors import is_vendor_staff, visible_requests
from ..requests.timeline import Actor
from .paging import CappedCountPaginator


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


class PauseForm(forms.Form):
    kind = forms.ChoiceField(choices=Pause.Kind.choices, label="What is needed from the person")
    on = forms.DateField(label="Asked on", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="What the person is asked (sent to them)")


class ResumeForm(forms.Form):
    on = forms.DateField(label="The person answered on", widget=forms.DateInput(attrs={"type": "date"}))


class ExtendForm(forms.Form):
    announced_on = forms.DateField(label="Announced to the person on", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Reasons (sent to the person)")


class CloseForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (Request.Status.COMPLETED, "Completed"),
            (Request.Status.PARTIALLY_COMPLETED, "Partially completed (with reasons)"),
            (Request.Status.REJECTED, "Rejected (with reasons)"),
        ]
    )
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        label="What was done, or the reasons (sent to the person)",
    )


# Transition-table action -> (form, workflow call). The button label and whether the button shows come
# from dsr.requests.transitions, for the request's status and the staff role.
ACTIONS: dict[str, tuple[type[forms.Form], Any]] = {
    "pause": (
        PauseForm,
        lambda r, d, actor, now: workflow.pause_request(
            r, kind=d["kind"], on=d["on"], reason=d["reason"], actor=actor, now=now
        ),
    ),
    "resume": (ResumeForm, lambda r, d, actor, now: workflow.resume_request(r, on=d["on"], actor=actor, now=now)),
    "extend": (
        ExtendForm,
        lambda r, d, actor, now: workflow.extend_request(
            r, announced_on=d["announced_on"], reason=d["reason"], actor=actor, now=now
        ),
    ),
    "close": (
        CloseForm,
        lambda r, d, actor, now: workflow.close_request(
            r, status=d["status"], message=d["message"], actor=actor, now=now
        ),
    ),
}


def staff_actions(request: Request) -> list[tuple[str, str]]:
    """(action, label) of the actions staff may take on this request now, as the transition table says."""
    return [(t.action, t.label) for t in transitions.allowed_actions(request.status, "staff") if t.action in ACTIONS]


@admin.register(Request)
class RequestAdmin(ReadOnly, admin.ModelAdmin[Request]):
    list_display = ("reference", "vendor", "request_type", "status", "received_at", "response_due", "extended")
    list_filter = ("status", "vendor", "request_type", "extended")
    list_select_related = ("vendor", "policy_version")
    search_fields = ("reference",)
    exclude = ("deadlines", "email_digest", "law_rules")
    # At a million requests: the count stops at a cap and no second count of the whole table is made.
    paginator = CappedCountPaginator
    show_full_result_count = False
    inlines = [AssignmentInline, PauseInline, EventInline, EmailInline]
    change_form_template = "admin/dsr/request/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Request]:
        # The heavy JSON (the deadline answer, the policy document) is read only where shown.
        heavy = ("details", "deadlines", "policy_version__document")
        return visible_requests(request.user, super().get_queryset(request).defer(*heavy))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_vendor_staff(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_vendor_staff(request.user)

    @admin.display(description="answer due (responder's date)")
    def response_due(self, obj: Request) -> str:
        day = schedule.due_date(obj)
        return day.isoformat() if day else "—"

    def get_urls(self) -> list[URLPattern]:
        urls = [
            path("<int:pk>/act/<str:action>/", self.admin_site.admin_view(self.act), name="dsr_request_act"),
        ]
        return urls + super().get_urls()

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        target = self.get_queryset(request).filter(pk=object_id).only("status").first() if object_id.isdigit() else None
        actions = staff_actions(target) if target is not None else []
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "dsr_actions": actions})

    def act(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        """One staff action on one request, through the workflow function that owns it."""
        if action not in ACTIONS:
            raise Http404
        target = self.get_queryset(request).filter(pk=pk).first()
        if target is None:  # not there, or another vendor's: the same answer
            raise Http404
        if not self.has_view_permission(request, target):
            raise PermissionDenied
        form_class, call = ACTIONS[action]
        label = transitions.transition(action).label
        if not transitions.is_allowed(action, target.status, "staff"):
            messages.error(request, str(transitions.transition(action).refuse(target.status)))
            return redirect(reverse("admin:dsr_request_change", args=[target.pk]))
        now = timezone.now()
        today = schedule.local_date(target, now)
        form = form_class(request.POST or None, initial={"on": today, "announced_on": today})
        if request.method == "POST" and form.is_valid():
            try:
                call(target, form.cleaned_data, Actor.staff(request.user), now)
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"{label}: done. The timeline and the deadlines are updated.")
                return redirect(reverse("admin:dsr_request_change", args=[target.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"{label}: {target.reference}",
            "opts": self.model._meta,
            "original": target,
            "form": form,
            "label": label,
            "due": schedule.due_date(target),
        }
        return TemplateResponse(request, "admin/dsr/request/act.html", context)
