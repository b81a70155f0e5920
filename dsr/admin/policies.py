"""The policies in the staff admin, scoped to the staff member's teams: a team reads its own vendors'
policies (read-only, with their citations), never another vendor's. The laws are the same for every
team and readable by all staff. Superusers read everything.

policies/admin.py registers the read-only screens and knows nothing of teams (policies never imports
dsr); this module re-registers the vendor-specific ones with the team scope.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from policies.models import DataCategory, Law, PolicyVersion, SupervisoryAuthority, Vendor

from ..requests.selectors import is_vendor_staff, team_vendor_ids

# Model -> the lookup from it to its vendor's id.
VENDOR_PATH: dict[type[Model], str] = {
    Vendor: "id",
    PolicyVersion: "vendor_id",
    DataCategory: "version__vendor_id",
}
SHARED: tuple[type[Model], ...] = (Law, SupervisoryAuthority)


def _readable_inline(inline: type[Any]) -> type[Any]:
    class Readable(inline):  # type: ignore[misc]
        def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
            return is_vendor_staff(request.user)

    Readable.__name__ = inline.__name__
    return Readable


def _team_scoped(base: type[Any], vendor_path: str | None) -> type[Any]:
    class TeamScoped(base):  # type: ignore[misc]
        inlines = [_readable_inline(inline) for inline in getattr(base, "inlines", [])]

        def has_module_permission(self, request: HttpRequest) -> bool:
            return is_vendor_staff(request.user)

        def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
            return is_vendor_staff(request.user)

        def get_list_filter(self, request: HttpRequest) -> Any:
            # The vendor filter would list every vendor's name: only for superusers.
            return super().get_list_filter(request) if request.user.is_superuser else ()

        def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
            queryset: QuerySet[Any] = super().get_queryset(request)
            if vendor_path is None or request.user.is_superuser:
                return queryset
            return queryset.filter(**{f"{vendor_path}__in": team_vendor_ids(request.user)})

    TeamScoped.__name__ = base.__name__
    return TeamScoped


_MODELS: tuple[type[Model], ...] = (*VENDOR_PATH, *SHARED)
for _model in _MODELS:
    _base = type(admin.site._registry[_model])
    admin.site.unregister(_model)
    admin.site.register(_model, _team_scoped(_base, VENDOR_PATH.get(_model)))
