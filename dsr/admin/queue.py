"""The queue's filters and bulk actions in the staff admin.

Every choice a filter offers and every row a bulk action touches comes from the requests the staff member
may see (the admin's queryset is dsr.requests.selectors.visible_requests); each bulk action goes through
the workflow function that owns the change, one request at a time, in the staff member's role there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import SimpleListFilter
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from policies import vocabulary
from policies.models import Vendor

from ..models import Request
from ..requests import queue, workflow
from ..requests.errors import DomainError
from ..requests.selectors import staff_role, visible_requests
from ..requests.timeline import Actor


def visible_vendors(request: HttpRequest) -> QuerySet[Vendor]:
    user = request.user
    if user.is_superuser:
        return Vendor.objects.order_by("name")
    return Vendor.objects.filter(staff_memberships__user_id=int(user.pk or 0)).order_by("name")


def team_members(request: HttpRequest) -> QuerySet[Any]:
    """The staff of the vendors this staff member works on (a superuser: every team)."""
    return (
        get_user_model()
        .objects.filter(dsr_memberships__vendor__in=visible_vendors(request), is_active=True)
        .distinct()
        .order_by("username")
    )


class VendorFilter(SimpleListFilter):
    title = "vendor"
    parameter_name = "vendor"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(v.pk), v.name) for v in visible_vendors(request)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Request]) -> QuerySet[Request]:
        value = self.value()
        return queryset.filter(vendor_id=int(value)) if value and value.isdigit() else queryset


class LawFilter(SimpleListFilter):
    title = "law"
    parameter_name = "law"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        from policies.services import laws_in_force

        return [(code, code) for code in sorted(laws_in_force().entries)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Request]) -> QuerySet[Request]:
        value = self.value()
        # The codes are a JSON list: match the quoted code, which no other code contains.
        return queryset.filter(law_codes__icontains=f'"{value}"') if value else queryset


class RelationshipFilter(SimpleListFilter):
    title = "relationship (any ticked)"
    parameter_name = "relationship"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [*vocabulary.RELATIONSHIPS.items(), (vocabulary.NOT_SURE, vocabulary.NOT_SURE_LABEL)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Request]) -> QuerySet[Request]:
        value = self.value()
        return queue.with_relationship(queryset, value) if value else queryset


class DueWindowFilter(SimpleListFilter):
    title = "due"
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(queue.DUE_WINDOWS.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Request]) -> QuerySet[Request]:
        value = self.value()
        return queue.due_window(queryset, value, timezone.now()) if value in queue.DUE_WINDOWS else queryset


class OwnerFilter(SimpleListFilter):
    title = "owner"
    parameter_name = "owner"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("none", "Nobody yet")] + [(str(u.pk), u.get_username()) for u in team_members(request)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Request]) -> QuerySet[Request]:
        value = self.value()
        if value == "none":
            return queryset.filter(owner__isnull=True)
        return queryset.filter(owner_id=int(value)) if value and value.isdigit() else queryset


class PolicyGapFilter(SimpleListFilter):
    title = "policy gap"
    parameter_name = "gap"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "A policy gap to resolve"), ("no", "No policy gap")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Request]) -> QuerySet[Request]:
        value = self.value()
        return queue.policy_gap(queryset, value == "yes") if value in ("yes", "no") else queryset


class IdentityFilter(SimpleListFilter):
    title = "identity"
    parameter_name = "identity"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(queue.IDENTITY_STATES.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Request]) -> QuerySet[Request]:
        value = self.value()
        return queue.identity_state(queryset, value) if value in queue.IDENTITY_STATES else queryset


class MyWorkFilter(SimpleListFilter):
    title = "work"
    parameter_name = "work"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("mine", "My work")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Request]) -> QuerySet[Request]:
        return queue.my_work(queryset, request.user) if self.value() == "mine" else queryset


FILTERS: tuple[Any, ...] = (
    MyWorkFilter,
    DueWindowFilter,
    "status",
    VendorFilter,
    "request_type",
    LawFilter,
    RelationshipFilter,
    OwnerFilter,
    PolicyGapFilter,
    IdentityFilter,
)


class AssignForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=get_user_model().objects.none(), label="Assign to")

    def __init__(self, *args: Any, members: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = members


class SpamForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Why each is refused (sent to the person, with their right to complain)",
    )


class DuplicateForm(forms.Form):
    of = forms.CharField(max_length=16, label="Reference of the person's open request that answers them")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Why it is a duplicate (internal)")


def act_on_each(
    request: HttpRequest, selected: QuerySet[Request], label: str, call: Callable[[Request, Actor], object]
) -> None:
    """Take the action on each selected request the staff member may see, in their role on its vendor."""
    done, refused = [], []
    for target in visible_requests(request.user, selected).select_related("vendor", "policy_version"):
        role = staff_role(request.user, target.vendor_id)
        if role is None:
            refused.append(f"{target.reference}: not your team's request")
            continue
        try:
            call(target, Actor.staff(request.user, role))
        except DomainError as exc:
            refused.append(f"{target.reference}: {exc}")
        else:
            done.append(target.reference)
    if done:
        messages.success(request, f"{label}: {', '.join(done)}.")
    if refused:
        messages.error(request, f"{label}, not done: " + " ".join(refused))


def bulk_form(
    model_admin: Any,
    request: HttpRequest,
    selected: QuerySet[Request],
    form: forms.Form,
    label: str,
) -> TemplateResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "title": label,
        "opts": model_admin.model._meta,
        "form": form,
        "label": label,
        "selected": visible_requests(request.user, selected),
        "action": request.POST.get("action", ""),
    }
    return TemplateResponse(request, "admin/dsr/request/bulk.html", context)


@admin.action(description="Assign to a team member")
def assign_selected(model_admin: Any, request: HttpRequest, selected: QuerySet[Request]) -> HttpResponse | None:
    form = AssignForm(request.POST if "apply" in request.POST else None, members=team_members(request))
    if not form.is_valid():
        return bulk_form(model_admin, request, selected, form, "Assign to a team member")
    owner = form.cleaned_data["owner"]
    act_on_each(
        request,
        selected,
        f"Assigned to {owner.get_username()}",
        lambda r, actor: workflow.assign_owner(r, owner=owner, actor=actor, now=timezone.now()),
    )
    return None


@admin.action(description="Close as spam (refused, with reasons; team leads)")
def mark_spam_selected(model_admin: Any, request: HttpRequest, selected: QuerySet[Request]) -> HttpResponse | None:
    form = SpamForm(request.POST if "apply" in request.POST else None)
    if not form.is_valid():
        return bulk_form(model_admin, request, selected, form, "Close as spam")
    reason = form.cleaned_data["reason"]
    act_on_each(
        request,
        selected,
        "Closed as spam",
        lambda r, actor: workflow.mark_spam(r, reason=reason, actor=actor, now=timezone.now()),
    )
    return None


@admin.action(description="Close as a duplicate of the person's open request")
def mark_duplicate_selected(model_admin: Any, request: HttpRequest, selected: QuerySet[Request]) -> HttpResponse | None:
    form = DuplicateForm(request.POST if "apply" in request.POST else None)
    if not form.is_valid():
        return bulk_form(model_admin, request, selected, form, "Close as a duplicate")
    of, reason = form.cleaned_data["of"], form.cleaned_data["reason"]
    act_on_each(
        request,
        selected,
        f"Closed as duplicates of {of}",
        lambda r, actor: workflow.mark_duplicate(r, of=of, reason=reason, actor=actor, now=timezone.now()),
    )
    return None


BULK_ACTIONS: list[Any] = [assign_selected, mark_spam_selected, mark_duplicate_selected]
