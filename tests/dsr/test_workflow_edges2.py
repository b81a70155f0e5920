"""More edges of a request's state changes: what routing takes from the request (the controller's address
the person typed, the agent who filed), when a pause may begin, and what closing does to the work still
open."""

from __future__ import annotations

import datetime as dt

import pytest

from dsr.models import Assignment, OutgoingEmail, Request
from dsr.requests import workflow
from dsr.requests.errors import DomainError
from tests.factories import LATER, RECEIVED, STAFF, identified, noon, routed, verified

pytestmark = pytest.mark.usefixtures("policies")


def pause(request: Request, day: dt.date) -> Request:
    return workflow.pause_request(
        request, kind="identity", on=day, reason="Please confirm.", actor=STAFF, now=noon(day)
    )


def controllers_erasure(email: str = "alice@example.com") -> Request:
    """An erasure at Leadoro (a processor) by a customer's data subject, who typed the controller's address."""
    return routed(
        vendor_slug="leadoro",
        relationships=["customer_data_subject"],
        request_type="erasure",
        customer_name="Acme Oy",
        customer_email="dpo@acme.test",
        email=email,
    )


def test_the_controllers_address_the_person_typed_gets_its_own_assignment_waiting_for_staff_approval() -> None:
    request = controllers_erasure()
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


def test_the_agents_authority_is_recorded_once_with_how_and_what_was_seen() -> None:
    request = routed(request_type="access", agent_name="Consumer Rights Agent", email="agent@example.net")
    with pytest.raises(DomainError, match="Say how the authority was shown: one of signed_permission, person_conf"):
        workflow.record_authority(request, method="phone_call", note="x", actor=STAFF, now=LATER)
    with pytest.raises(DomainError, match="Say what was seen"):
        workflow.record_authority(request, method="signed_permission", note="  ", actor=STAFF, now=LATER)
    workflow.record_authority(request, method="power_of_attorney", note="Notarised 3 Feb.", actor=STAFF, now=LATER)
    request.refresh_from_db()
    assert (request.authority_recorded_at, request.authority_method, request.authority_note) == (
        LATER,
        "power_of_attorney",
        "Notarised 3 Feb.",
    )
    event = request.events.get(kind="authority_recorded")
    assert event.message == "Agent's authority recorded: A power of attorney. Notarised 3 Feb."
    with pytest.raises(DomainError, match="already recorded"):
        workflow.record_authority(request, method="signed_permission", note="Again.", actor=STAFF, now=LATER)


def test_there_is_no_authority_to_record_when_the_person_filed_themselves() -> None:
    request = routed(request_type="access")
    with pytest.raises(DomainError, match="filed by the person, not by an agent"):
        workflow.record_authority(request, method="signed_permission", note="Signed.", actor=STAFF, now=LATER)
    request.refresh_from_db()
    assert request.authority_recorded_at is None


def test_the_identity_check_is_recorded_with_its_method_in_words() -> None:
    request = routed(request_type="access")
    with pytest.raises(DomainError, match="Say how identity was checked: one of email_matches_record, account_login"):
        workflow.record_identity(request, method="gut_feeling", note="x", actor=STAFF, now=LATER)
    workflow.record_identity(request, method="account_login", note="Confirmed in the app.", actor=STAFF, now=LATER)
    request.refresh_from_db()
    assert (request.identity_checked_at, request.identity_method, request.identity_note) == (
        LATER,
        "account_login",
        "Confirmed in the app.",
    )
    assert request.events.get(kind="identity_checked").message == (
        "Identity checked: The person confirmed from within their logged-in account. Confirmed in the app."
    )


def test_an_address_on_a_closed_assignment_cannot_be_approved() -> None:
    # Staff recorded the controller's answer (by phone) before approving its address: the request is open.
    answered = controllers_erasure("alice@example.com")
    hint = answered.assignments.get(responder_kind="customer")
    workflow.complete_assignment(hint, outcome="Acme erased it; told us by phone.", actor=STAFF, now=LATER)
    assert answered.assignments.filter(status="open").exists()
    with pytest.raises(DomainError, match="This assignment is no longer open"):
        workflow.approve_contact(hint, actor=STAFF, now=LATER)
    # The person withdrew: nothing more goes to responders.
    withdrawn = controllers_erasure("bob@example.com")
    workflow.withdraw_request(withdrawn, now=LATER)
    with pytest.raises(DomainError, match="withdrawn sends nothing more to responders"):
        workflow.approve_contact(withdrawn.assignments.get(responder_kind="customer"), actor=STAFF, now=LATER)
    assert not Assignment.objects.filter(responder_kind="customer", contact_approved=True).exists()
    assert not OutgoingEmail.objects.filter(to="dpo@acme.test", kind="assignment").exists()  # no responder link


def test_the_request_stays_open_until_its_last_assignment_is_done() -> None:
    request = identified(routed(request_type="erasure"))
    first, *others = request.assignments.order_by("pk")
    assert others, "Leadsment's erasure has more than one assignment"
    workflow.complete_assignment(first, outcome="Deleted.", actor=STAFF, now=LATER)
    request.refresh_from_db()
    assert request.status == "in_progress" and request.closed_at is None
    for assignment in others:
        workflow.complete_assignment(assignment, outcome="Done.", actor=STAFF, now=LATER)
    request.refresh_from_db()
    assert request.status == "awaiting_approval" and request.closed_at is None


def test_an_agents_opt_out_does_not_wait_for_proof_of_authority() -> None:
    request = routed(request_type="opt_out", agent_name="Consumer Rights Agent", email="agent@example.net")
    assert workflow.disclosure_missing(request) == []
    agents_access = routed(request_type="access", agent_name="Consumer Rights Agent", email="agent2@example.net")
    assert workflow.disclosure_missing(agents_access) == ["the identity check", "the agent's authority"]


def test_each_deadline_change_is_signed_by_the_staff_member_who_caused_it_and_says_why() -> None:
    request = routed()
    day = LATER.date()
    request = pause(request, day)
    answered = day + dt.timedelta(days=2)  # the person answered two days later (never a day still to come)
    request = workflow.resume_request(request, on=answered, actor=STAFF, now=noon(answered))
    request = workflow.extend_request(request, reason="Many records.", actor=STAFF, now=noon(answered))
    changes = request.events.filter(kind="deadlines").order_by("id")
    assert [(e.actor, e.data["reason"]) for e in changes][-3:] == [
        ("staff", "paused for identity"),  # STAFF's label; a change the system makes says "system"
        ("staff", "pause ended"),
        ("staff", "extension"),
    ]


@pytest.mark.parametrize(
    ("kind", "asks_for"), [("identity", "Proof that you are the person"), ("clarification", "A clarification")]
)
def test_the_person_is_told_what_is_needed_and_why_when_the_request_waits_for_them(kind: str, asks_for: str) -> None:
    request = routed()
    workflow.pause_request(
        request, kind=kind, on=LATER.date(), reason="Which account do you mean?", actor=STAFF, now=LATER
    )
    (email,) = OutgoingEmail.objects.filter(request=request, kind="info_needed")
    assert asks_for in email.body_text and "Which account do you mean?" in email.body_text


def test_a_note_may_be_as_long_as_the_limit_and_no_longer() -> None:
    request = routed()
    workflow.add_note(request, text="x" * workflow.NOTE_MAX_LENGTH, actor=STAFF, now=LATER)
    with pytest.raises(DomainError, match="at most 10,000 characters"):
        workflow.add_note(request, text="x" * (workflow.NOTE_MAX_LENGTH + 1), actor=STAFF, now=LATER)
    assert request.events.filter(kind="note").count() == 1
