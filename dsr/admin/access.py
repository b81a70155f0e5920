"""Who sees the staff screens: members of a vendor's team (and superusers); each screen then scopes its rows
to the member's vendors."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ..requests.selectors import is_vendor_staff


class VendorStaffViews:
    """An admin screen every member of a vendor's team may open and read (its queryset scopes the rows)."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_vendor_staff(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_vendor_staff(request.user)
