"""Working on a request's correspondence in the staff admin: the reply templates (team leads edit them,
handlers read them) and the files a person sent with a reply (downloaded by the vendor's staff only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from policies.admin import ReadOnlyInline

from ..models import Attachment, ReplyTemplate
from ..requests import audit
from ..requests.replies import may_edit_templates
from ..requests.selectors import is_vendor_staff, staff_role, visible_requests
from ..requests.timeline import Actor
from .access import VendorStaffViews


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern); cleans to a list."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(VendorStaffViews, admin.ModelAdmin[ReplyTemplate]):
    list_display = ("kind", "language", "subject")
    list_filter = ("kind", "language")
    fields = ("kind", "language", "subject", "body")
    readonly_fields = ("kind", "language")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_vendor_staff(request.user) and may_edit_templates(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # one per message and language, made by the migration

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AttachmentInline(ReadOnlyInline):
    """The files the person sent, on the request's page, each a download link."""

    model = Attachment
    fields = ("uploaded_at", "download", "content_type", "size")
    readonly_fields = ("download",)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_vendor_staff(request.user)  # the request page is already scoped to the staff's vendors

    @admin.display(description="file")
    def download(self, obj: Attachment) -> str:
        if not obj.file:
            return obj.name  # erased with the person's data
        return format_html('<a href="{}">{}</a>', reverse("admin:dsr_attachment_download", args=[obj.pk]), obj.name)


def download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The file, to staff of the request's vendor only (another vendor's, or an erased file: not found); each
    download is on the request's timeline (who, when, which file)."""
    attachment = Attachment.objects.filter(pk=pk, request__in=visible_requests(request.user)).first()
    if attachment is None or not attachment.file or not is_vendor_staff(request.user):
        raise Http404
    role = staff_role(request.user, attachment.request.vendor_id)
    if role is None:
        raise Http404
    content = attachment.file.open("rb")
    actor = Actor.staff(request.user, role)
    audit.record_download(attachment.request, name=attachment.name, actor=actor, now=timezone.now())
    response = FileResponse(content, as_attachment=True, filename=attachment.name)
    response["Content-Type"] = attachment.content_type or "application/octet-stream"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def urls(site: AdminSite) -> list[URLPattern]:
    return [path("attachment/<int:pk>/", site.admin_view(download), name="dsr_attachment_download")]
