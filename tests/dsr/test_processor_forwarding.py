"""Processors forward promptly: the assist-the-controller task has a short internal target, and the person is
told that the controller, not the vendor, sets the answer's deadline.

GDPR Art 28(3)(e); EDPB Guidelines 07/2020 paras 127-129 (assistance may be prompt forwarding; the
controller's deadline is not extended because a processor must supply data); EU SCC: the processor 'shall
promptly notify the controller'. The number of business days is a house decision (laws.yaml
processor_duty.forward_within, mark U).
"""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from dsr.engine.deadlines import forward_target
from dsr.models import Assignment, OutgoingEmail
from dsr.requests import workflow
from dsr.requests.schedule import law_rules
from dsr.security.tokens import make_token
from tests.factories import RECEIVED, STAFF, verified

# Leadoro is a processor for the lead lists its customers upload (policy 1.1, "Processor Disclosures"), and the
# controller of its own licensed business-contact data, which concerns the same leads (policy 1.3).
LEAD = {"vendor_slug": "leadoro", "relationships": ["customer_data_subject"], "country": "DE", "request_type": "access"}


def at_noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


@pytest.mark.django_db
def test_the_target_is_three_business_days_after_receipt_and_never_after_the_response() -> None:
    """Received Friday 30 Jan 2026: Mon 2, Tue 3, Wed 4 Feb. A response due earlier than that comes first."""
    laws = law_rules(["EU_GDPR"])
    target = forward_target(laws, received_at=at_noon(dt.date(2026, 1, 30)), timezone="UTC", country="DE")
    assert target is not None and target.due_date == dt.date(2026, 2, 4)
    assert "house decision" in target.explanation and "Art 28(3)(e)" in target.explanation
    capped = forward_target(
        laws, received_at=at_noon(dt.date(2026, 1, 30)), timezone="UTC", country="DE", response_due=dt.date(2026, 2, 2)
    )
    assert capped is not None and capped.due_date == dt.date(2026, 2, 2)
    assert "comes first" in capped.explanation


@pytest.mark.django_db
def test_a_public_holiday_is_not_a_business_day_for_the_target() -> None:
    """Good Friday 3 Apr and Easter Monday 6 Apr 2026 are German holidays: received Thu 2 Apr -> Thu 9 Apr."""
    target = forward_target(
        law_rules(["EU_GDPR"]), received_at=at_noon(dt.date(2026, 4, 2)), timezone="UTC", country="DE"
    )
    assert target is not None and target.due_date == dt.date(2026, 4, 9)


@pytest.mark.django_db
def test_the_assist_task_is_due_on_the_target_and_the_vendors_own_answer_on_the_law_date() -> None:
    """A Leadoro lead: the lead list is the customer's (assist, forwarded by the target); Leadoro's own licensed
    contact data is Leadoro's to answer (GDPR Art 12(3)), so the person sees that date, and is told the customer
    decides for the lead list."""
    request = workflow.route_request(verified(email="lead@example.com", **LEAD).pk, now=RECEIVED)
    assist = request.assignments.get(action=Assignment.Action.ASSIST_CONTROLLER)
    fulfil = request.assignments.get(action=Assignment.Action.FULFIL)
    # Received Saturday 31 Jan 2026: Mon 2, Tue 3, Wed 4 Feb, well before the response (2 March).
    assert request.due_at is not None and assist.due_at < request.due_at == fulfil.due_at
    assert assist.due_at.date() == dt.date(2026, 2, 4)
    assert "3 business days" in assist.explanation

    routed = OutgoingEmail.objects.get(request=request, kind="routed")
    assert "set by the business that controls your data" not in routed.body_text
    assert "acts only on behalf of" in routed.body_text
    page = Client().get(f"/status/{make_token('status', request.reference)}/").content.decode()
    assert "set by the business that controls your data" not in page


@pytest.mark.django_db
def test_an_extension_does_not_move_the_forwarding_target() -> None:
    request = workflow.route_request(verified(email="lead2@example.com", **LEAD).pk, now=RECEIVED)
    workflow.extend_request(request, reason="Many systems.", actor=STAFF, now=at_noon(dt.date(2026, 2, 3)))
    assist = Assignment.objects.get(request=request, action=Assignment.Action.ASSIST_CONTROLLER)
    assert assist.due_at.date() == dt.date(2026, 2, 4)


@pytest.mark.django_db
def test_where_the_vendor_is_controller_the_person_sees_the_due_date() -> None:
    request = workflow.route_request(
        verified(email="own@example.com", vendor_slug="leadoro", relationships=["account_user"], country="DE").pk,
        now=RECEIVED,
    )
    routed = OutgoingEmail.objects.get(request=request, kind="routed")
    assert "set by the business that controls your data" not in routed.body_text
    assert request.due_at is not None


@pytest.mark.django_db
def test_route_preview_json_shows_the_target() -> None:
    out = StringIO()
    call_command(
        "route_preview",
        *("--vendor", "leadoro", "--relationship", "customer_data_subject", "--type", "access"),
        *("--country", "DE", "--received", "2026-01-30", "--json"),
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert data["forward"]["due_date"] == "2026-02-04"
    assert [(a["action"], a["due_date"]) for a in data["assignments"]] == [
        ("fulfil", "2026-03-02"),
        ("assist_controller", "2026-02-04"),
    ]
