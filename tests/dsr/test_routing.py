"""Routing: who answers, and what each must do, for every vendor, relationship and request type.

`plan_for` is pure: these tests read the validated policy documents straight from policies/data.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from dsr.engine.routing import PROPAGATED_TYPES, Plan, RequestFacts, plan_for
from policies import vocabulary
from policies.document import PolicyDocument
from policies.loader import read_data_dir

DUE = dt.datetime(2026, 3, 2, 21, 59, 59, tzinfo=dt.UTC)


@cache
def documents() -> dict[str, dict[str, Any]]:
    dataset = read_data_dir(Path(settings.POLICY_DATA_DIR))
    return {v.slug: v.document for v in dataset.vendors}


@cache
def policies() -> dict[str, PolicyDocument]:
    return {slug: PolicyDocument.parse(document) for slug, document in documents().items()}


def plan(slug: str, relationship: str, request_type: str, **facts: str) -> Plan:
    return plan_for(
        policies()[slug], RequestFacts(request_type=request_type, relationships=(relationship,), **facts), due_at=DUE
    )


def actions(p: Plan) -> set[tuple[str, str]]:
    return {(a.responder_kind, a.action) for a in p.assignments}


CASES = [
    (slug, relationship, request_type)
    for slug in ("sera-leads", "leadoro", "serai", "leadsment", "seerene")
    for relationship in sorted({r for c in documents()[slug]["categories"] for r in c["relationships"]})
    for request_type in vocabulary.REQUEST_TYPES
]


@pytest.mark.parametrize(("slug", "relationship", "request_type"), CASES)
def test_every_covered_relationship_and_type_gets_a_plan_with_explanations(
    slug: str, relationship: str, request_type: str
) -> None:
    p = plan(slug, relationship, request_type)
    assert p.assignments
    assert p.subject_notes
    for a in p.assignments:
        assert a.explanation
        assert a.due_at == DUE
        # Never a made-up address: an email only where the policy (or the person) gives one.
        if a.responder_email:
            assert a.responder_email in json.dumps(documents()[slug]) or a.responder_kind == "customer"
        if a.responder_kind == "staff_queue" and a.action != "identify_recipients":
            assert a.policy_gap
    categories = [c for c in documents()[slug]["categories"] if relationship in c["relationships"]]
    if any(c["role"] == "controller" for c in categories):
        assert any(a.action == "fulfil" for a in p.assignments)
    if any(c["role"] == "processor" for c in categories):
        assert any(a.action == "assist_controller" for a in p.assignments)


def test_sera_account_user_erasure_is_fulfilled_by_sera_and_partial_for_accounting_records() -> None:
    p = plan("sera-leads", "account_user", "erasure")
    fulfil = next(a for a in p.assignments if a.action == "fulfil")
    assert fulfil.responder_kind == "vendor"
    assert fulfil.responder_email == "support@seraleads.com"
    assert "account_data" in fulfil.categories
    assert fulfil.partial
    assert "seven years" in fulfil.explanation
    assert "Restrict those records" in fulfil.explanation
    assert any("legal obligation" in c.fact for c in fulfil.citations)


def test_sera_lead_is_told_the_customer_is_controller_and_sera_assists() -> None:
    p = plan("sera-leads", "customer_data_subject", "access", customer_name="Acme Oy")
    assist = next(a for a in p.assignments if a.action == "assist_controller")
    assert assist.responder_kind == "vendor"
    assert "Acme Oy is the controller" in assist.explanation
    assert "forward the request to it promptly" in assist.explanation
    assert any("Acme Oy, which is the controller" in note for note in p.subject_notes)
    # No customer address given: nobody outside the vendor is emailed.
    assert ("customer", "fulfil") not in actions(p)


def test_a_named_customer_with_an_address_gets_its_own_assignment() -> None:
    p = plan("leadoro", "customer_data_subject", "erasure", customer_name="Acme", customer_email="dpo@acme.test")
    customer = next(a for a in p.assignments if a.responder_kind == "customer")
    assert (customer.action, customer.responder_email) == ("fulfil", "dpo@acme.test")
    assert "You are the controller" in customer.explanation


def test_leadsment_erasure_is_partial_for_six_year_accounting_records_and_tells_stripe() -> None:
    p = plan("leadsment", "account_user", "erasure")
    fulfil = next(a for a in p.assignments if a.action == "fulfil")
    assert fulfil.partial and p.partial
    assert fulfil.responder_email.lower() == "konsta@leadsment.com"
    propagated = {a.responder_name for a in p.assignments if a.action == "propagate"}
    assert "Stripe" in propagated


def test_leadsment_access_is_not_partial_and_propagates_to_nobody() -> None:
    p = plan("leadsment", "account_user", "access")
    assert not p.partial
    assert not [a for a in p.assignments if a.action == "propagate"]


@pytest.mark.parametrize("request_type", sorted(PROPAGATED_TYPES))
def test_seerene_propagates_erasure_rectification_restriction_to_its_five_sub_processors(request_type: str) -> None:
    p = plan("seerene", "account_user", request_type)
    propagated = [a for a in p.assignments if a.action == "propagate"]
    assert len(propagated) == 5
    for name in ("Microsoft", "Heap", "Intercom", "Sendgrid", "Zendesk"):
        assert any(name.lower() in a.responder_name.lower() for a in propagated)
    for a in propagated:
        assert a.responder_email == ""
        assert a.citations


def test_seerene_has_no_privacy_address_so_its_fulfilment_waits_in_the_staff_queue() -> None:
    p = plan("seerene", "account_user", "access")
    fulfil = next(a for a in p.assignments if a.action == "fulfil")
    assert (fulfil.responder_kind, fulfil.responder_email, fulfil.policy_gap) == ("staff_queue", "", True)
    assert "no address for privacy requests" in fulfil.explanation


def test_leadoro_placeholder_contact_is_a_policy_gap_not_an_address() -> None:
    p = plan("leadoro", "account_user", "access")
    assert p.has_policy_gap
    assert all("leadoro.net" not in a.responder_email for a in p.assignments)
    assert all(a.responder_kind == "staff_queue" for a in p.assignments)


def test_a_relationship_the_policy_does_not_cover_goes_to_the_staff_queue_for_review() -> None:
    """Leadsment says its snippet identifies companies only, yet reverse-IP identification still processes IP
    addresses (GDPR Art 4(1), 15): staff review it, never an automatic "no data" answer."""
    p = plan("leadsment", "customer_site_visitor", "access")
    (only,) = p.assignments
    assert (only.responder_kind, only.action, only.policy_gap) == ("staff_queue", "review", True)
    assert "describes no personal data" in only.explanation
    assert "never answer “no data” without checking" in only.explanation
    assert "identification is company-level only" in only.explanation


def test_serai_payment_card_role_unknown_is_flagged_for_staff() -> None:
    p = plan("serai", "account_user", "access")
    assert ("vendor", "fulfil") in actions(p)
    gap = next(a for a in p.assignments if a.action == "resolve_gap")
    assert "payment_card_details" in gap.categories


def test_access_is_never_propagated_to_sub_processors() -> None:
    for slug in documents():
        for relationship in {r for c in documents()[slug]["categories"] for r in c["relationships"]}:
            p = plan(slug, relationship, "access")
            assert not [a for a in p.assignments if a.action == "propagate"]


def test_unknown_request_type_or_relationship_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown request type"):
        plan("sera-leads", "account_user", "teleport")
    with pytest.raises(ValueError, match="Unknown relationship"):
        plan("sera-leads", "neighbour", "access")


def test_route_preview_prints_the_plan(policies: None, capsys: pytest.CaptureFixture[str]) -> None:
    call_command(
        "route_preview",
        vendor="leadsment",
        relationship="account_user",
        request_type="erasure",
        country="FI",
        received="2026-01-01",
        json=True,
    )
    out = json.loads(capsys.readouterr().out)
    assert out["laws"] == ["EU_GDPR"]
    # Received 1 January: Leadsment's "within 30 days" (31 January, a Saturday, not moved) is
    # stricter than the GDPR month (1 February, a Sunday, so Monday 2 February).
    assert out["due_date"] == "2026-01-31"
    assert "We respond within 30 days" in out["deadline"]
    assert out["partial"] is True
    # Stripe is named; the database, hosting and email-delivery providers only by kind: staff identify them.
    assert {a["action"] for a in out["assignments"]} == {"fulfil", "propagate", "identify_recipients"}
    call_command(
        "route_preview",
        vendor="sera-leads",
        relationship="customer_data_subject",
        request_type="access",
        country="EE",
        received="2026-03-05",
    )
    text = capsys.readouterr().out
    assert "assist_controller" in text
    # 5 April 2026 is Easter Sunday; Easter Monday is a working day in Estonia.
    assert "due 2026-04-06" in text


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"relationship": "neighbour"}, "Unknown --relationship 'neighbour'"),
        ({"request_type": "teleport"}, "Unknown --type 'teleport'"),
        ({"vendor": "acme"}, "Unknown vendor 'acme'"),
        ({"received": "05/03/2026"}, "is not a date"),
        ({"country": "Estonia"}, "is not a two-letter country code"),
        ({"state": "CA"}, "--state is only for people who live in the US"),
    ],
)
def test_route_preview_bad_input_is_a_clear_error(policies: None, options: dict[str, str], message: str) -> None:
    args = {
        "vendor": "sera-leads",
        "relationship": "account_user",
        "request_type": "access",
        "country": "EE",
        "received": "2026-03-05",
        **options,
    }
    with pytest.raises(CommandError, match=message):
        call_command("route_preview", **args)


def test_a_request_filed_by_an_agent_asks_for_proof_of_authority() -> None:
    p = plan("sera-leads", "account_user", "access", agent_name="Privacy Helpers Ltd")
    fulfil = next(a for a in p.assignments if a.action == "fulfil")
    assert "authorised agent (Privacy Helpers Ltd)" in fulfil.explanation
    assert "proof of authority" in fulfil.explanation
    assert "agent" not in next(a for a in plan("sera-leads", "account_user", "access").assignments).explanation
