"""Our entries in the protocol's service directory (DRP 3.05.2): one per vendor we serve as a privacy
infrastructure provider, for agents to find us. Read from each vendor's policy in force."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings

from policies.models import Vendor

from . import protocol, vocabulary

API_PATH = "/drp"


def api_base() -> str:
    return str(settings.SITE_URL) + API_PATH


def entry(vendor: Vendor, *, on: dt.date) -> dict[str, Any] | None:
    """The vendor's business entry, or None before its first policy."""
    version = vendor.policy_in_force(on)
    if version is None:
        return None
    policy = version.policy
    contact = policy.privacy_contact()
    return {
        "id": protocol.business_id(vendor.slug),
        "name": policy.vendor_name,
        "logo": None,
        "api_base": api_base(),
        "supported_actions": vocabulary.supported_actions(),
        # The request must give the person's email (and their name if known): we verify and match records by it
        # (3.04; api.drp.protocol.person_of). We do not rely on the agent's verification alone for disclosure:
        # staff check identity at the level the law asks for.
        "supported_verifications": ["email"],
        "web_url": policy.vendor.website.value or "",
        "technical_contact": settings.DRP_TECHNICAL_CONTACT,
        "business_contact": contact.email if contact else settings.DSR_STAFF_EMAIL,
    }


def entries(*, on: dt.date) -> list[dict[str, Any]]:
    return [e for e in (entry(v, on=on) for v in Vendor.objects.order_by("slug")) if e is not None]
