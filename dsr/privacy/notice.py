"""What the intake pages tell a person about the data they type in (GDPR Art 13): who is responsible,
what is kept, why, for how long, and where to turn. The facts come from the vendor's policy and the
retention rules in dsr.privacy.retention, so the notice cannot drift from what the product does."""

from __future__ import annotations

from dataclasses import dataclass

from policies.models import PolicyVersion

from .retention import CLOSED_RETENTION, UNVERIFIED_RETENTION


@dataclass(frozen=True)
class IntakeNotice:
    controller: str  # the vendor: the form is its way of receiving privacy requests
    contact: str  # its privacy (or DPO) address, "" where the policy gives none
    unconfirmed_days: int  # an unconfirmed request is deleted after these days
    kept_years: int  # a closed request's personal data are deleted after these years
    authority: str  # the supervisory authority the policy names, "" where none
    authority_website: str


def intake_notice(version: PolicyVersion) -> IntakeNotice:
    contact = version.contact("privacy") or version.contact("dpo")
    return IntakeNotice(
        controller=version.vendor.name,
        contact=contact.email if contact else "",
        unconfirmed_days=UNVERIFIED_RETENTION.days,
        kept_years=CLOSED_RETENTION.days // 365,
        authority=version.authority_name,
        authority_website=version.authority_website,
    )
