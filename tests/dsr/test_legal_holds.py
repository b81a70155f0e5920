"""Only a real legal duty restricts erasure, and portability covers only what the law says it covers.

GDPR Art 17(3)(b): erasure does not apply where processing is necessary for compliance with a legal
obligation; a vendor's own ("legitimate business") purpose is not among the Art 17(3) exceptions. GDPR Art
20(1)(a): portability covers data processed on consent or a contract. Checked through `route_preview --json`.
"""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def preview(vendor: str, relationship: str, request_type: str, country: str = "DE") -> dict[str, Any]:
    out = StringIO()
    call_command(
        "route_preview",
        *("--vendor", vendor, "--relationship", relationship, "--type", request_type, "--country", country),
        *("--received", "2026-03-02", "--json"),
        stdout=out,
    )
    return json.loads(out.getvalue())


def fulfil(data: dict[str, Any]) -> dict[str, Any]:
    return next(a for a in data["assignments"] if a["action"] == "fulfil")


def test_serais_general_tax_sentence_holds_transaction_and_fraud_records_only() -> None:
    """Serai policy 7: 'we may retain your personal data for longer ... to meet legal, regulatory, tax or
    accounting requirements' is a legal duty for transaction and fraud-screening records, not for cookies,
    location or marketing data."""
    assignment = fulfil(preview("serai", "account_user", "erasure"))
    assert assignment["partial"]
    held = [c["fact"] for c in assignment["citations"] if "kept under a legal obligation" in c["fact"]]
    assert sorted(held) == [
        "Crime, fraud and risk screening data: kept under a legal obligation",
        "Usage and transaction data: kept under a legal obligation",
    ]


def test_leadoros_kyc_records_are_kept_under_a_legal_duty() -> None:
    """Leadoro policy 1.1: verification/KYC data is collected 'where required by law' (AML record keeping)."""
    held = [c["fact"] for c in fulfil(preview("leadoro", "account_user", "erasure"))["citations"]]
    assert "Verification/KYC data: kept under a legal obligation" in held


def test_seras_legitimate_business_purpose_is_not_an_exception_to_erasure() -> None:
    """Sera keeps Service Data 'indefinitely for legitimate business purposes': staff are told it is not an
    Art 17(3) exception, while its seven-year accounting records are a legal obligation."""
    assignment = fulfil(preview("sera-leads", "account_user", "erasure", "EE"))
    assert (
        "keeping Service Data for the vendor's own (legitimate business) purposes is not an exception"
        in (assignment["explanation"])
    )
    assert "Partial erasure: Accounting and tax records" in assignment["explanation"]


def test_portability_does_not_cover_legitimate_interest_data() -> None:
    """GDPR Art 20(1)(a): Sera's Service Data is processed on legitimate interests."""
    assignment = fulfil(preview("sera-leads", "account_user", "portability", "EE"))
    assert (
        "Service Data is processed on legitimate_interests, not on consent or a contract" in (assignment["explanation"])
    )
