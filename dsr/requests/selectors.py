"""Read-side queries over requests, scoped to what a staff member may see.

The staff admin, the coming queue, register and dashboard, and the API read through these, so the
rule "staff see only their vendors" lives in one place.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from ..models import OutgoingEmail, OutgoingWebhook, Request, StaffMembership
from .timeline import Role


def member_vendor_ids(user: Any) -> QuerySet[StaffMembership, Any]:
    """The ids of the vendors whose team `user` belongs to (a subquery)."""
    return StaffMembership.objects.filter(user_id=int(user.pk or 0)).values("vendor_id")


def staff_role(user: Any, vendor_id: int) -> Role | None:
    """The role `user` acts in on this vendor's requests: superusers lead; members as their team says."""
    if not (user.is_active and user.is_staff):
        return None
    if user.is_superuser:
        return "lead"
    role = StaffMembership.objects.filter(user_id=user.pk, vendor_id=vendor_id).values_list("role", flat=True).first()
    return "lead" if role == StaffMembership.Role.LEAD else "handler" if role else None


def team_vendor_ids(user: Any) -> list[int]:
    """The ids of the vendors whose team `user` belongs to, as values (not a subquery)."""
    return list(StaffMembership.objects.filter(user_id=int(user.pk or 0)).values_list("vendor_id", flat=True))


def is_vendor_staff(user: Any) -> bool:
    """Active staff who are superusers or members of at least one vendor's team."""
    if not (user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    # An admin page asks once per model it lists (twenty times a page): the answer is kept on the user
    # object, which lives for one web request (the session loads it afresh for the next).
    member: bool | None = getattr(user, "_dsr_vendor_staff", None)
    if member is None:
        member = user._dsr_vendor_staff = member_vendor_ids(user).exists()
    return member


def visible_requests(user: Any, queryset: QuerySet[Request] | None = None) -> QuerySet[Request]:
    """Superusers see every vendor; other staff only the vendors they are members of."""
    queryset = Request.objects.all() if queryset is None else queryset
    if user.is_superuser:
        return queryset
    # The team's vendor ids as values, not a subquery: for one team the planner then reads one page
    # straight from the (vendor, received) index instead of guessing how many vendors the subquery holds.
    return queryset.filter(vendor_id__in=team_vendor_ids(user))


def visible_webhooks(user: Any, queryset: QuerySet[OutgoingWebhook] | None = None) -> QuerySet[OutgoingWebhook]:
    """Outgoing callbacks about requests of the vendors `user` works on (superusers: all)."""
    queryset = OutgoingWebhook.objects.all() if queryset is None else queryset
    if user.is_superuser:
        return queryset
    return queryset.filter(request__vendor_id__in=member_vendor_ids(user))


def visible_emails(user: Any, queryset: QuerySet[OutgoingEmail] | None = None) -> QuerySet[OutgoingEmail]:
    """Outgoing email of the vendors `user` works on (superusers: all)."""
    queryset = OutgoingEmail.objects.all() if queryset is None else queryset
    if user.is_superuser:
        return queryset
    return queryset.filter(request__vendor_id__in=member_vendor_ids(user))
