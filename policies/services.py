"""Read-side helpers over the loaded policies: what the commands, routing and deadlines ask of them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .models import Law, PolicyVersion, Vendor


class UnknownVendor(LookupError):
    pass


def policy_in_force(slug: str, on: dt.date) -> PolicyVersion:
    """The policy version that judges a request received on `on` (see Vendor.policy_in_force)."""
    vendor = Vendor.objects.filter(slug=slug).first()
    version = vendor.policy_in_force(on) if vendor else None
    if version is None:
        known = ", ".join(Vendor.objects.values_list("slug", flat=True)) or "none loaded (run load_policies)"
        raise UnknownVendor(f"Unknown vendor {slug!r}. Known vendors: {known}.")
    return version


def response_promises(version: PolicyVersion) -> list[dict[str, Any]]:
    """The version's response-time promises, as the deadline engine's `Promise.from_mapping` reads them."""
    return [
        {
            "amount": p.amount,
            "unit": p.unit,
            "applies_to": list(p.applies_to),
            "cite": p.cite,
            "vendor": version.vendor.name,
        }
        for p in version.promises.filter(kind="response_time")
    ]


def promise_and_place_for_vendor(slug: str, on: dt.date | None = None) -> tuple[list[dict[str, Any]], str, str]:
    """The vendor's response promises, its time zone and its country, as in the policy in force."""
    version = policy_in_force(slug, on or dt.date.max)
    return response_promises(version), version.timezone, version.country


def law_jurisdictions() -> dict[str, list[str]]:
    """Each loaded law's territories ({code: ["EE", "US-CA", ...]}), for choosing the laws of a request."""
    return dict(Law.objects.values_list("code", "jurisdictions"))


def policy_as_dict(version: PolicyVersion) -> dict[str, Any]:
    """The encoded policy as loaded, with the citation beside each fact, for review and diffing."""
    vendor = version.vendor

    def fact(value: Any, cite: str) -> dict[str, Any]:
        return {"value": value or None, "cite": cite or None}

    return {
        "vendor": vendor.slug,
        "version": version.number,
        "effective_date": version.effective_date.isoformat(),
        "published": fact(
            version.published_date.isoformat() if version.published_date else None, version.published_cite
        ),
        "source": version.source,
        "data_file": version.data_file,
        "legal_name": fact(version.legal_name, version.legal_name_cite),
        "brand": fact(version.brand, version.brand_cite),
        "country": fact(version.country, version.country_cite),
        "timezone": version.timezone,
        "address": fact(version.address, version.address_cite),
        "website": fact(version.website, version.website_cite),
        "authority": {
            "name": version.authority_name or None,
            "country": version.authority_country or None,
            "website": version.authority_website or None,
            "cite": version.authority_cite or None,
        },
        "contacts": [
            {"kind": c.kind, "email": c.email or None, "name": c.name or None, "url": c.url or None, "cite": c.cite}
            for c in version.contacts.all()
        ],
        "laws": [
            {"code": la.law.code, "name": la.law.name, "cite": la.cite} for la in version.laws.select_related("law")
        ],
        "promises": [
            {"kind": p.kind, "amount": p.amount, "unit": p.unit, "applies_to": p.applies_to, "cite": p.cite}
            for p in version.promises.all()
        ],
        "rights": [{"right": r.right, "scope": r.scope, "cite": r.cite} for r in version.rights.all()],
        "categories": [
            {
                "key": cat.key,
                "name": cat.name,
                "description": cat.description,
                "role": cat.role,
                "role_cite": cat.role_cite,
                "relationships": cat.relationships,
                "relationships_cite": cat.relationships_cite,
                "controller_when_processor": cat.controller_when_processor or None,
                "lawful_bases": cat.lawful_bases,
                "limited_rights": cat.limited_rights,
                "retention": [
                    {
                        "period": {"amount": r.amount, "unit": r.unit} if r.amount is not None else None,
                        "indefinite": r.indefinite,
                        "starts": r.starts,
                        "legal_obligation": r.legal_obligation,
                        "description": r.description,
                        "cite": r.cite,
                    }
                    for r in cat.retention_rules.all()
                ],
            }
            for cat in version.categories.prefetch_related("retention_rules")
        ],
        "recipients": [
            {
                "name": r.name,
                "kind": r.kind,
                "purpose": r.purpose or None,
                "region": r.region or None,
                "categories": r.categories,
                "cite": r.cite,
            }
            for r in version.recipients.all()
        ],
        "gaps": [{"field": g.field, "note": g.note, "cite": g.cite or None} for g in version.gaps.all()],
    }
