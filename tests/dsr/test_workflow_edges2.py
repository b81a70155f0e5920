"""More edges of a request's state changes: what routing takes from the request (the controller's address
the person typed, the agent who filed), when a pause may begin, and what closing does to the work still
open."""

from __future__ import annotations

import datetime as dt

import pytest

from dsr.models import Assignment, Request
from dsr.requests import workflow
from dsr.requests.errors import DomainError
from tests.factories import LATER, RECEIVED, STAFF, noon, routed, verified

pytestmark = pytest.mark.usefixtures("policies")


def pause(request: Request, day: dt.date) -> Request:
    return workflow.pause_request(
        request, kind="identity", on=day, reason="Please confirm.", actor=STAFF, now=noon(day)
    )


def test_the_controllers_address_the_person_typed_gets_its_own_assignment_waiting_for_staff_approval() -> None:
    request = routed(
        vendor_slug="leadoro",
        relationship="customer_data_subject",
        request_type="erasure",
        customer_name="Acme Oy",
        customer_email="dpo@acme.test",
    )
    customer = request.assignments.get(responder_kind="customer")
    assert (customer.responder_name, customer.responder_email, customer.action) == (
        "Acme Oy",
        "dpo@acme.test",
        "fulfil",
    )
    assert "You are the controller" in customer.explanation
    assert customer.contact_approved is False  # a hint typed by the requester, not yet an address to write to
    assert all(a.contact_approved for a in request.assignments.exclude(responder_kind="customer"))


def test_the_responder_is_told_when_an_authorised_agent_filed_the_request() -> None:
    request = routed(request_type="access", agent_name="Consumer Rights Agent", email="agent@example.net")
    (assignment,) = request.assignments.all()
    assert "Filed by an authorised agent (Consumer Rights Agent) for the person" in assignment.explanation


def test_a_request_filed_by_the_person_says_nothing_of_an_agent() -> None:
    (assignment,) = routed(request_type="access").assignments.all()
    assert "authorised agent" not in assignment.explanation


def test_a_pause_may_begin_on_the_day_of_receipt_but_not_before() -> None:
    request = verified()
    received = RECEIVED.date()
    with pytest.raises(DomainError, match="cannot start before the request was received"):
        pause(request, received - dt.timedelta(days=1))
    assert not request.pauses.exists()
    pause(request, received)
    assert request.pauses.get().started_on == received


def test_a_new_pause_may_begin_on_the_day_the_last_one_ended_but_not_before() -> None:
    request = pause(verified(), dt.date(2026, 2, 3))
    workflow.resume_request(request, on=dt.date(2026, 2, 6), actor=STAFF, now=noon(dt.date(2026, 2, 6)))
    with pytest.raises(DomainError, match="cannot start before the previous one ended"):
        pause(request, dt.date(2026, 2, 5))
    assert request.pauses.count() == 1
    pause(request, dt.date(2026, 2, 6))
    assert list(request.pauses.order_by("started_on").values_list("started_on", flat=True)) == [
        dt.date(2026, 2, 3),
        dt.date(2026, 2, 6),
    ]


@pytest.mark.parametrize("close", ["reject", "withdraw"])
def test_closing_a_request_takes_its_open_assignments_off_the_reminder_schedule(close: str) -> None:
    request = routed(request_type="access")
    assert request.assignments.filter(next_action_at__isnull=False).exists()
    if close == "reject":
        workflow.close_request(
            request, status="rejected", message="We could not verify who you are.", actor=STAFF, now=LATER
        )
    else:
        workflow.withdraw_request(request, now=LATER)
    assignments = list(Assignment.objects.filter(request=request))
    assert [a.status for a in assignments] == ["not_applicable"] * len(assignments)
    assert [a.next_action_at for a in assignments] == [None] * len(assignments)
