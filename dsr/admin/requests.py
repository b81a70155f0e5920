"""Requests in the staff admin: each staff member sees only the vendors they work on.

Nothing on a request is edited by hand. Staff act through buttons that call dsr.requests.workflow (ask the
person for information, record their answer, extend, close), each of which checks the transition,
writes the timeline and emails the person.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.safestring import SafeString

from policies import vocabulary
from policies.admin import ReadOnly

from ..models import AnswerPart, Assignment, Package, Pause, Request
from ..packages import services as packages
from ..requests import answers, audit, evidence, overview, queue, schedule, transitions, workflow
from ..requests import replies as reply_templates
from ..requests.errors import DomainError
from ..requests.selectors import staff_role, visible_requests
from ..requests.timeline import Actor, Role
from ..security.lookalike import email_for_staff
from . import dashboard, intake, replies
from . import queue as queue_admin
from .access import VendorStaffViews
from .paging import CappedCountPaginator, checkbox_html


class ActionForm(forms.Form):
    """A staff action's form; `target` is the request it acts on."""

    def __init__(self, *args: Any, target: Request, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.target = target


class PauseForm(ActionForm):
    kind = forms.ChoiceField(choices=Pause.Kind.choices, label="What is needed from the person")
    on = forms.DateField(label="Asked on", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="What the person is asked (sent to them)")


class ResumeForm(ActionForm):
    on = forms.DateField(label="The person answered on", widget=forms.DateInput(attrs={"type": "date"}))


class ExtendForm(ActionForm):
    # No date to type: the extension is announced today, by the email this sends (workflow.extend_request).
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Reasons (sent to the person)",
        help_text="The person is emailed today; today is the date the extension is announced.",
    )


class CloseForm(ActionForm):
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


class IdentityForm(ActionForm):
    method = forms.ChoiceField(choices=list(vocabulary.IDENTITY_METHODS.items()), label="How identity was checked")
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What was matched (internal; no ID copies)",
        help_text="For example: the proven email is the login of account 4411, created 2023.",
    )


class AuthorityForm(ActionForm):
    method = forms.ChoiceField(choices=list(vocabulary.AUTHORITY_METHODS.items()), label="How the authority was shown")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="What was seen (internal)")


class NoteForm(ActionForm):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), label="Note (internal: the person never sees it)")


class ReplyForm(ActionForm):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), label="What the person replied", required=False)
    attachments = replies.MultipleFileField(
        required=False,
        label="Files they sent (PDF, PNG, JPEG, text; at most 5, 10 MB each)",
    )


class PackageForm(ActionForm):
    """A file, or data rows of one of the policy's categories, for the answer package."""

    category = forms.ChoiceField(label="Data category", required=False)
    file = forms.FileField(label="File (a document or export for the person)", required=False)
    rows = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        label="Data rows (JSON records)",
        help_text='A JSON list of records, e.g. [{"email": "a@example.com", "signed_up": "2024-03-01"}]. '
        "They go into data.json and a CSV of the category.",
    )

    def __init__(self, *args: Any, target: Request, **kwargs: Any) -> None:
        super().__init__(*args, target=target, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *packages.known_categories(target).items()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("file")) == bool((data.get("rows") or "").strip()):
            raise forms.ValidationError("Add either a file or data rows.")
        if (data.get("rows") or "").strip() and not data.get("category"):
            raise forms.ValidationError("Choose the data category of the rows.")
        return data


class RecipientTaskChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.responder_name} — {obj.get_action_display()}"


class RecipientsToldForm(ActionForm):
    """Close a task to pass the request on to the data's recipients, saying whom staff told."""

    assignment = RecipientTaskChoice(queryset=Assignment.objects.none(), label="Task")
    told = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Whom you told, and how",
        help_text="Each recipient by name, the date and the channel; or why one could not be told. It goes on the "
        "timeline and into the answer (the person may ask which recipients were told).",
    )

    def __init__(self, *args: Any, target: Request, **kwargs: Any) -> None:
        super().__init__(*args, target=target, **kwargs)
        field = self.fields["assignment"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = recipient_tasks(target)


def recipient_tasks(request: Request) -> QuerySet[Assignment]:
    """The open tasks to tell the data's recipients, which staff close themselves."""
    return request.assignments.filter(status=Assignment.Status.OPEN, action__in=schedule.RECIPIENT_ACTIONS)


class ResendLinkForm(ActionForm):
    """No fields: the link goes again to the proven email."""


class ResponderChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        shown = email_for_staff(obj.responder_email)
        warning = f" [look-alike? {shown.warning}]" if shown.warning else ""
        return f"{obj.responder_name} <{shown.text}>{warning} (typed by the requester)"


class ApproveContactForm(ActionForm):
    assignment = ResponderChoice(queryset=Assignment.objects.none(), label="Responder whose address to approve")

    def __init__(self, *args: Any, target: Request, **kwargs: Any) -> None:
        super().__init__(*args, target=target, **kwargs)
        field = self.fields["assignment"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = awaiting_approval(target)


class AnswerForm(ActionForm):
    """The draft answer: the cover text and one box per responder's part, side by side (act.html)."""

    cover = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label="Cover text (the person reads it before the parts)",
    )

    def __init__(self, *args: Any, target: Request, **kwargs: Any) -> None:
        super().__init__(*args, target=target, **kwargs)
        draft = answers.draft_of(target)
        self.fields["cover"].initial = draft.cover if draft else ""
        self.parts = answers.parts_of(target)
        for part in self.parts:
            self.fields[f"part_{part.pk}"] = forms.CharField(
                widget=forms.Textarea(attrs={"rows": 8}),
                initial=part.text,
                label=f"{part.assignment.responder_name} — {part.assignment.get_action_display()}",
            )

    def part_fields(self) -> list[tuple[Any, forms.BoundField]]:
        """(part, its text box), in the plan's order."""
        return [(part, self[f"part_{part.pk}"]) for part in self.parts]

    def part_texts(self) -> dict[int, str]:
        return {part.pk: self.cleaned_data[f"part_{part.pk}"] for part in self.parts}


class ApproveForm(ActionForm):
    confirm = forms.BooleanField(
        label="I have read every part: send the whole answer to the person",
        help_text="One email, in the person's language, with every part; partial parts name the records kept and "
        "the policy's reason.",
    )


class AssignmentChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        address = email_for_staff(obj.responder_email).text if obj.responder_email else "the staff team"
        return f"{obj.responder_name} — {obj.get_action_display()} (link sent to {address})"


class RevokeLinkForm(ActionForm):
    assignment = AssignmentChoice(queryset=Assignment.objects.none(), label="Responder whose link to revoke")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why (internal)",
        help_text="For example: the email went to the wrong address, or the responder has left.",
    )
    send_new = forms.BooleanField(
        required=False, initial=True, label="Send a new link to the responder's address (the old one stops working)"
    )

    def __init__(self, *args: Any, target: Request, **kwargs: Any) -> None:
        super().__init__(*args, target=target, **kwargs)
        field = self.fields["assignment"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = live_links(target)


def live_links(request: Request) -> QuerySet[Assignment]:
    """The assignments whose responder link works now: open, and sent (the address approved)."""
    return request.assignments.filter(status=Assignment.Status.OPEN, contact_approved=True)


def awaiting_approval(request: Request) -> QuerySet[Assignment]:
    return request.assignments.filter(contact_approved=False, status=Assignment.Status.OPEN)


# Transition-table action -> (form, workflow call). The button label and whether the button shows come
# from dsr.requests.transitions, for the request's status and the staff role.
ACTIONS: dict[str, tuple[type[ActionForm], Any]] = {
    "pause": (
        PauseForm,
        lambda r, d, actor, now: workflow.pause_request(
            r, kind=d["kind"], on=d["on"], reason=d["reason"], actor=actor, now=now
        ),
    ),
    "resume": (ResumeForm, lambda r, d, actor, now: workflow.resume_request(r, on=d["on"], actor=actor, now=now)),
    "extend": (
        ExtendForm,
        lambda r, d, actor, now: workflow.extend_request(r, reason=d["reason"], actor=actor, now=now),
    ),
    "close": (
        CloseForm,
        lambda r, d, actor, now: workflow.close_request(
            r, status=d["status"], message=d["message"], actor=actor, now=now
        ),
    ),
    "record_identity": (
        IdentityForm,
        lambda r, d, actor, now: workflow.record_identity(r, method=d["method"], note=d["note"], actor=actor, now=now),
    ),
    "record_authority": (
        AuthorityForm,
        lambda r, d, actor, now: workflow.record_authority(r, method=d["method"], note=d["note"], actor=actor, now=now),
    ),
    "note": (NoteForm, lambda r, d, actor, now: workflow.add_note(r, text=d["text"], actor=actor, now=now)),
    "complete_assignment": (
        RecipientsToldForm,
        lambda r, d, actor, now: workflow.record_recipients_told(d["assignment"], told=d["told"], actor=actor, now=now),
    ),
    "record_reply": (
        ReplyForm,
        lambda r, d, actor, now: workflow.record_reply(r, text=d["text"], files=d["attachments"], actor=actor, now=now),
    ),
    "add_to_package": (
        PackageForm,
        lambda r, d, actor, now: workflow.add_to_package(
            r,
            category=d["category"],
            upload=d["file"] or None,
            rows=d["rows"] if d["rows"].strip() else None,
            actor=actor,
            now=now,
        ),
    ),
    "resend_package_link": (
        ResendLinkForm,
        lambda r, d, actor, now: workflow.resend_package_link(r, actor=actor, now=now),
    ),
    "edit_answer": (
        AnswerForm,
        lambda r, d, actor, now: workflow.edit_answer(r, cover=d["cover"], parts=d["part_texts"], actor=actor, now=now),
    ),
    "approve_answer": (ApproveForm, lambda r, d, actor, now: workflow.approve_answer(r, actor=actor, now=now)),
    "approve_contact": (
        ApproveContactForm,
        lambda r, d, actor, now: workflow.approve_contact(d["assignment"], actor=actor, now=now),
    ),
    "revoke_link": (
        RevokeLinkForm,
        lambda r, d, actor, now: workflow.revoke_responder_link(
            d["assignment"], reason=d["reason"], send_new=d["send_new"], actor=actor, now=now
        ),
    ),
}


def pending(request: Request, action: str) -> bool:
    """Whether an action has anything left to do on this request (a recorded check is not offered again)."""
    if action == "record_identity":
        return request.identity_checked_at is None
    if action == "record_authority":
        return bool(request.agent_name) and request.authority_recorded_at is None
    if action == "approve_contact":
        return awaiting_approval(request).exists()
    if action == "extend":
        return schedule.can_extend(request)
    if action == "add_to_package":
        return request.request_type in packages.PACKAGE_TYPES
    if action == "resend_package_link":
        return Package.objects.filter(request=request, status__in=Package.LIVE_STATUSES).exists()
    if action == "edit_answer":  # once a responder has answered, or where the answer waits for approval
        return (
            request.status == Request.Status.AWAITING_APPROVAL
            or AnswerPart.objects.filter(answer__request=request).exists()
        )
    if action == "revoke_link":
        return live_links(request).exists()
    if action == "complete_assignment":
        return recipient_tasks(request).exists()
    return True


def staff_actions(request: Request, role: Role | None) -> list[tuple[str, str]]:
    """(action, label) of the actions this staff role may take on the request now, as the table says."""
    if role is None:
        return []
    allowed = transitions.allowed_actions(request.status, role)
    return [
        (t.action, ADMIN_LABELS.get(t.action, t.label))
        for t in allowed
        if t.action in ACTIONS and pending(request, t.action)
    ]


# Where the admin's button does one case of a table action: staff close only the tasks to tell the recipients
# (responders answer theirs through their own link).
ADMIN_LABELS = {"complete_assignment": "Record which recipients were told"}


class QueueChangeList(ChangeList):
    """The page's rows learn whether they have an open policy gap, and when their earliest open task to tell the
    data's recipients is due, in a query each (not one per row, not in the count)."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        rows = list(self.result_list)
        gaps = set(
            Assignment.objects.filter(
                request_id__in=[r.pk for r in rows], status=Assignment.Status.OPEN, policy_gap=True
            ).values_list("request_id", flat=True)
        )
        told: dict[int, Any] = {}
        for request_id, due_at in (
            Assignment.objects.filter(
                request_id__in=[r.pk for r in rows],
                status=Assignment.Status.OPEN,
                action__in=schedule.RECIPIENT_ACTIONS,
            )
            .order_by("-due_at")
            .values_list("request_id", "due_at")
        ):
            told[request_id] = due_at  # the earliest wins (ordered latest first)
        for row in rows:
            row.has_policy_gap = row.pk in gaps
            row.recipients_due_at = told.get(row.pk)
        self.result_list = rows


@admin.register(Request)
class RequestAdmin(VendorStaffViews, ReadOnly, admin.ModelAdmin[Request]):
    list_display = (
        "reference",
        "work_state",
        "days_left",
        "due",
        "vendor",
        "request_type",
        "status",
        "owner",
        "received",
    )
    list_filter = queue_admin.FILTERS
    list_select_related = ("vendor", "policy_version", "owner")
    # The queue: open requests soonest due first, then the rest newest first (the dsr_request_queue index).
    ordering = ("open_due_at", "-received_at", "-id")
    search_fields = ("reference",)  # the box; what it finds is dsr.requests.queue.search
    search_help_text = "A reference or an email address (exact), or part of a name, an agent's or a customer's."
    exclude = ("deadlines", "email_digest", "law_rules", "law_codes")
    actions = queue_admin.BULK_ACTIONS
    # At a million requests: the count stops at a cap and no second count of the whole table is made.
    paginator = CappedCountPaginator
    show_full_result_count = False
    change_form_template = "admin/dsr/request/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Request]:
        # The heavy JSON (the deadline answer, the policy document) is read only where shown.
        heavy = ("details", "deadlines", "policy_version__document")
        return visible_requests(request.user, super().get_queryset(request).defer(*heavy))

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return QueueChangeList

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Request], search_term: str
    ) -> tuple[QuerySet[Request], bool]:
        return queue.search(queryset, search_term), False

    def action_checkbox(self, obj: Request) -> SafeString:
        """The row's checkbox for the bulk actions: Django's markup, written out (rendering a form widget per
        row through the template engine was a fifth of the list's time at 100 rows)."""
        return checkbox_html(obj)

    @staticmethod
    def _state(obj: Request) -> queue.WorkState:
        """The row's work state, computed once for its two columns."""
        state: queue.WorkState | None = getattr(obj, "_queue_state", None)
        if state is None:
            state = obj._queue_state = queue.request_state(obj, timezone.now())  # type: ignore[attr-defined]
        return state

    @admin.display(description="state")
    def work_state(self, obj: Request) -> str:
        return self._state(obj).label

    @admin.display(description="days left")
    def days_left(self, obj: Request) -> str:
        return self._state(obj).days_words or "—"

    @admin.display(description="answer due", ordering="open_due_at")
    def due(self, obj: Request) -> str:
        return queue.responder_day(obj, obj.due_at) or "—"

    @admin.display(description="received", ordering="received_at")
    def received(self, obj: Request) -> str:
        return queue.responder_day(obj, obj.received_at)

    def get_urls(self) -> list[URLPattern]:
        urls = [
            path("<int:pk>/act/<str:action>/", self.admin_site.admin_view(self.act), name="dsr_request_act"),
            *dashboard.urls(self.admin_site),
            path("<int:pk>/evidence/", self.admin_site.admin_view(self.evidence), name="dsr_request_evidence"),
            *intake.urls(self.admin_site),
            *replies.urls(self.admin_site),
        ]
        return urls + super().get_urls()

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        target = self.get_queryset(request).filter(pk=object_id).first() if object_id.isdigit() else None
        if target is None:  # not there, or another vendor's: the same answer
            raise Http404
        role = staff_role(request.user, target.vendor_id)
        now = timezone.now()
        if role is not None:  # what the page shows is the person's data: who saw it, and when, is on record
            audit.record_view(target, actor=Actor.staff(request.user, role), now=now)
        actions = staff_actions(target, role)
        page = overview.request_page(target, now)
        extra = {
            **(extra_context or {}),
            "dsr_actions": actions,
            "page": page,
            "target": target,
            "may_export": role is not None,
        }
        return super().change_view(request, object_id, form_url, extra)

    def evidence(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The request's evidence ZIP for a regulator (POST: the export is recorded on the timeline), to the
        leads and handlers of its vendor only."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        target = self.get_queryset(request).filter(pk=pk).first()
        role = staff_role(request.user, target.vendor_id) if target is not None else None
        if target is None or role is None:  # not there, or another vendor's: the same answer
            raise Http404
        made = evidence.export(target, actor=Actor.staff(request.user, role), now=timezone.now())
        response = HttpResponse(made.content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{made.filename}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response

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
        transition = transitions.transition(action)
        label = ADMIN_LABELS.get(action, transition.label)
        role = staff_role(request.user, target.vendor_id)
        if role is None or not transitions.is_allowed(action, target.status, role):
            refusal = transition.refuse(target.status) if not transition.allows(target.status) else None
            messages.error(
                request, str(refusal) if refusal else f"{label}: a team lead's action ({role or 'no role'} here)."
            )
            return redirect(reverse("admin:dsr_request_change", args=[target.pk]))
        now = timezone.now()
        today = schedule.local_date(target, now)
        text = reply_templates.prefill(action, target, request.GET.get("reply"))
        data = (request.POST, request.FILES) if request.method == "POST" else (None, None)
        form = form_class(*data, initial={"on": today, **text}, target=target)
        if request.method == "POST" and form.is_valid():
            if isinstance(form, AnswerForm):
                form.cleaned_data["part_texts"] = form.part_texts()
            try:
                call(target, form.cleaned_data, Actor.staff(request.user, role), now)
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
            "identity": workflow.identity_requirement(target) if action == "record_identity" else None,
            "authority_rules": workflow.request_law_rules(target) if action == "record_authority" else None,
            "reply_choices": reply_templates.choices(action),
            "action": action,
            "draft": answers.page(target) if action in ("edit_answer", "approve_answer") else None,
        }
        return TemplateResponse(request, "admin/dsr/request/act.html", context)
