"""API clients in the staff admin: a team lead registers a client for their vendors and reads its secret
once; staff see only clients that serve no vendor outside their teams. The admin calls api.services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from dsr.requests.errors import DomainError
from dsr.requests.selectors import staff_role, team_vendor_ids
from policies.models import Vendor

from . import services
from .models import ApiCall, ApiClient


def _vendors_led(user: Any) -> QuerySet[Vendor]:
    vendors = Vendor.objects.all()
    if user.is_superuser:
        return vendors
    return vendors.filter(pk__in=[pk for pk in team_vendor_ids(user) if staff_role(user, pk) == "lead"])


class ApiClientForm(forms.ModelForm[ApiClient]):
    def clean_callback_url(self) -> str:
        url: str = self.cleaned_data.get("callback_url") or ""
        try:
            services.check_callback_url(url)
        except DomainError as exc:
            raise forms.ValidationError(str(exc)) from None
        return url


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin[ApiClient]):
    form = ApiClientForm
    list_display = ("name", "kind", "active", "callback_url", "created_at", "created_by")
    list_filter = ("kind", "active")
    fields = ("name", "kind", "vendors", "callback_url", "active")
    filter_horizontal = ("vendors",)
    actions = ["new_api_secret", "new_callback_secret"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiClient]:
        clients = super().get_queryset(request)
        if request.user.is_superuser:
            return clients
        return clients.exclude(vendors__in=Vendor.objects.exclude(pk__in=team_vendor_ids(request.user))).distinct()

    def get_readonly_fields(self, request: HttpRequest, obj: ApiClient | None = None) -> tuple[str, ...]:
        return ("name", "kind", "vendors") if obj is not None else ()

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "callback_url":
            kwargs["assume_scheme"] = "https"  # an address typed without a scheme is taken as https
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "vendors":
            kwargs["queryset"] = _vendors_led(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _vendors_led(request.user).exists()

    def has_change_permission(self, request: HttpRequest, obj: ApiClient | None = None) -> bool:
        """Only a lead of every vendor a client serves may change it (its callback address, whether it is
        active): a lead of one vendor who is a handler on another cannot redirect that vendor's callbacks."""
        if obj is None or request.user.is_superuser:
            return self.has_add_permission(request)
        led = set(_vendors_led(request.user).values_list("pk", flat=True))
        return bool(led) and set(obj.vendors.values_list("pk", flat=True)) <= led

    def has_delete_permission(self, request: HttpRequest, obj: ApiClient | None = None) -> bool:
        return False  # a client that filed requests stays on record; revoke it (untick "active")

    def save_model(self, request: HttpRequest, obj: ApiClient, form: forms.ModelForm[ApiClient], change: bool) -> None:
        data = form.cleaned_data
        if change:
            services.update_client(obj.pk, callback_url=data["callback_url"], active=data["active"])
            return
        new = services.create_client(
            name=data["name"],
            kind=data["kind"],
            vendors=list(data["vendors"]),
            callback_url=data["callback_url"],
            created_by=request.user.get_username(),
            now=timezone.now(),
        )
        obj.pk = new.client.pk
        messages.warning(
            request,
            f"Give these to {new.client.name} now: they are shown only once. API secret: {new.token} — "
            f"callback signing secret: {new.callback_secret}",
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # the vendors are set by services.create_client and never change

    @admin.action(description="Issue a new API secret (the old one stops working at once)")
    def new_api_secret(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        self._rotate(request, queryset, api_secret=True)

    @admin.action(description="Issue a new callback signing secret (the old one stops working at once)")
    def new_callback_secret(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        self._rotate(request, queryset, callback_secret=True)

    def _rotate(
        self,
        request: HttpRequest,
        queryset: QuerySet[ApiClient],
        *,
        api_secret: bool = False,
        callback_secret: bool = False,
    ) -> None:
        for client in queryset:
            if not self.has_change_permission(request, client):
                messages.error(
                    request, f"{client.name}: only a lead of every vendor it serves may replace its secrets."
                )
                continue
            new = services.rotate_secrets(client.pk, api_secret=api_secret, callback_secret=callback_secret)
            shown = f"API secret: {new.token}" if new.token else f"callback signing secret: {new.callback_secret}"
            messages.warning(request, f"Give this to {client.name} now: it is shown only once. {shown}")


@admin.register(ApiCall)
class ApiCallAdmin(admin.ModelAdmin[ApiCall]):
    list_display = ("at", "client", "method", "path", "status_code", "duration_ms")
    list_filter = ("status_code", "method")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiCall]:
        calls = super().get_queryset(request).select_related("client")
        if request.user.is_superuser:
            return calls
        return calls.filter(client__in=ApiClientAdmin(ApiClient, self.admin_site).get_queryset(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
