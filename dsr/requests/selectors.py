"""Read-side queries over requests, scoped to what a staff member may see.

The staff admin, the coming queue, register and dashboard, and the API read through these, so the
rule "staff see only their vendors" lives in one place.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from ..models import OutgoingEmail, Request, StaffMembership


def member_vendor_ids(user: Any) -> QuerySet[StaffMembership, Any]:
    """The ids of the vendors whose team `user` belongs to (a subquery)."""
    return StaffMembership.objects.filter(user_id=int(user.pk or 0)).values("vendor_id")


def is_vendor_staff(user: Any) -> bool:
    """Active staff who are superusers or members of at least one vendor's team."""
    if not (user.is_active and user.is_staff):
        return False
    return bool(user.is_superuser or member_vendor_ids(user).exists())


def visible_requests(user: Any, queryset: QuerySet[Request] | None = None) -> QuerySet[Request]:
    """Superusers see every vendor; other staff only the vendors they are members of."""
    queryset = Request.objects.all() if queryset is None else queryset
    if user.is_superuser:
        return queryset
    return queryset.filter(vendor_id__in=member_vendor_ids(user))


def visible_emails(user: Any, queryset: QuerySet[OutgoingEmail] | None = None) -> QuerySet[OutgoingEmail]:
    """Outgoing email of the vendors `user` works on (superusers: all)."""
    queryset = OutgoingEmail.objects.all() if queryset is None else queryset
    if user.is_superuser:
        return queryset
    return queryset.filter(request__vendor_id__in=member_vendor_ids(user))
