"""Vendors, policies and laws, read-only: they change only through the versioned data files."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from .models import (
    Contact,
    DataCategory,
    Law,
    LawApplicability,
    PolicyGap,
    PolicyVersion,
    Promise,
    Recipient,
    RetentionRule,
    RightGrant,
    SupervisoryAuthority,
    Vendor,
)


class ReadOnly:
    """Staff can read everything here; the loader is the only writer."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(ReadOnly, admin.TabularInline):  # type: ignore[type-arg]  # generic over each model
    extra = 0
    can_delete = False
    show_change_link = False


class ContactInline(ReadOnlyInline):
    model = Contact
    fields = ("kind", "email", "name", "url", "cite")


class PromiseInline(ReadOnlyInline):
    model = Promise
    fields = ("kind", "amount", "unit", "applies_to", "cite")


class RightInline(ReadOnlyInline):
    model = RightGrant
    fields = ("right", "scope", "cite")


class LawInline(ReadOnlyInline):
    model = LawApplicability
    fields = ("law", "cite")


class CategoryInline(ReadOnlyInline):
    model = DataCategory
    fields = ("name", "role", "role_cite", "relationships", "controller_when_processor")
    show_change_link = True


class RecipientInline(ReadOnlyInline):
    model = Recipient
    fields = ("name", "kind", "purpose", "region", "categories", "cite")


class GapInline(ReadOnlyInline):
    model = PolicyGap
    fields = ("field", "note", "cite")


@admin.register(Vendor)
class VendorAdmin(ReadOnly, admin.ModelAdmin[Vendor]):
    list_display = ("name", "slug", "versions_count")
    search_fields = ("name", "slug")

    @admin.display(description="policy versions")
    def versions_count(self, obj: Vendor) -> int:
        return obj.versions.count()


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnly, admin.ModelAdmin[PolicyVersion]):
    list_display = ("vendor", "number", "effective_date", "published_date", "country", "authority_name", "loaded_at")
    list_filter = ("vendor",)
    list_select_related = ("vendor",)
    exclude = ("document",)
    inlines = [ContactInline, LawInline, PromiseInline, RightInline, CategoryInline, RecipientInline, GapInline]
    fieldsets = [
        (None, {"fields": ("vendor", "number", "effective_date", "source", "data_file", "sha256", "loaded_at")}),
        ("Published", {"fields": ("title", "published_date", "published_cite")}),
        (
            "The vendor",
            {
                "fields": (
                    ("legal_name", "legal_name_cite"),
                    ("brand", "brand_cite"),
                    ("country", "country_cite"),
                    "timezone",
                    "region",
                    ("address", "address_cite"),
                    "registry_code",
                    ("website", "website_cite"),
                )
            },
        ),
        (
            "Supervisory authority",
            {"fields": ("authority_name", "authority_country", "authority_website", "authority_cite")},
        ),
        ("Clauses staff heed (fees, sale, transfers)", {"fields": ("clauses", "recipients_told_more")}),
    ]
    readonly_fields = ("region", "registry_code", "clauses", "recipients_told_more")

    @staticmethod
    def _cited(value: str | None, cite: str) -> str:
        return format_html("{} <em>“{}”</em>", value, cite) if value else "(not stated in the policy)"

    @admin.display(description="region (seat)")
    def region(self, obj: PolicyVersion) -> str:
        fact = obj.policy.vendor.region
        return self._cited(fact.value, fact.cite)

    @admin.display(description="register code")
    def registry_code(self, obj: PolicyVersion) -> str:
        fact = obj.policy.vendor.registry_code
        return self._cited(fact.value, fact.cite)

    @admin.display(description="clauses")
    def clauses(self, obj: PolicyVersion) -> str:
        rows = [(c.kind, c.text, c.cite) for c in obj.policy.clauses]
        return self._list(rows)

    @admin.display(description="recipients told of more than erasure, rectification, restriction")
    def recipients_told_more(self, obj: PolicyVersion) -> str:
        return self._list([(r.name, d.request_type, d.cite) for r in obj.policy.recipients for d in r.acts_on])

    @staticmethod
    def _list(rows: list[tuple[str, str, str]]) -> str:
        if not rows:
            return "none"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {} <em>“{}”</em></li>", rows))


class RetentionInline(ReadOnlyInline):
    model = RetentionRule
    fields = ("amount", "unit", "indefinite", "starts", "legal_obligation", "description", "cite")


@admin.register(DataCategory)
class DataCategoryAdmin(ReadOnly, admin.ModelAdmin[DataCategory]):
    list_display = ("name", "version", "role", "relationships")
    list_filter = ("role", "version__vendor")
    list_select_related = ("version__vendor",)
    inlines = [RetentionInline]


@admin.register(Law)
class LawAdmin(ReadOnly, admin.ModelAdmin[Law]):
    list_display = ("code", "name", "revision", "loaded_at")
    search_fields = ("code", "name")
    exclude = ("data",)
    readonly_fields = ("rules",)

    @admin.display(description="rules, with sources and V/S/U marks")
    def rules(self, obj: Law) -> str:
        return format_html("<pre class='dsr-pre'>{}</pre>", json.dumps(obj.data, indent=2, ensure_ascii=False))


@admin.register(SupervisoryAuthority)
class AuthorityAdmin(ReadOnly, admin.ModelAdmin[SupervisoryAuthority]):
    list_display = ("country", "name", "website", "status")
