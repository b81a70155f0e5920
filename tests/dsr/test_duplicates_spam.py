"""Staff close a request as a duplicate of the same person's open request, or as spam: what they may join
it to, what happens to its open work, and what the person is (and is not) sent."""

from __future__ import annotations

import datetime as dt

import pytest

from dsr.models import OutgoingEmail, Request
from dsr.requests import workflow
from dsr.requests.errors import DomainError
from tests.factories import LATER, RECEIVED, STAFF, identified, routed

pytestmark = pytest.mark.usefixtures("policies")


def same_persons_two_requests() -> tuple[Request, Request]:
    """Alice's erasure, and her access request filed a day later with the same proven address."""
    first = routed(email="alice@example.com", request_type="erasure")
    again = routed(now=RECEIVED + dt.timedelta(days=1), email="alice@example.com", request_type="access")
    return first, again


def duplicate(request: Request, of: str) -> Request:
    return workflow.mark_duplicate(request, of=of, reason="Same ask by email.", actor=STAFF, now=LATER)


def test_the_reference_is_found_as_staff_type_it_with_spaces_and_in_lower_case() -> None:
    first, again = same_persons_two_requests()
    emails_before = OutgoingEmail.objects.count()
    duplicate(again, f"  {first.reference.lower()} ")
    again.refresh_from_db()
    assert again.status == "duplicate" and again.closed_at == LATER and again.next_action_at is None
    assert again.events.get(kind="duplicate").data == {"of": first.pk, "reason": "Same ask by email."}
    assert first.events.get(kind="repeated").data == {"duplicate": again.pk}
    assert OutgoingEmail.objects.count() == emails_before  # the person has the original's status page


def test_the_duplicates_open_work_is_closed_and_taken_off_the_reminder_schedule() -> None:
    first, again = same_persons_two_requests()
    assert again.assignments.filter(status="open").exists()
    duplicate(again, first.reference)
    assert set(again.assignments.values_list("status", "next_action_at")) == {("not_applicable", None)}
    assert first.assignments.filter(status="open").exists()  # the original still answers the person


def test_a_request_is_not_a_duplicate_of_itself() -> None:
    _, again = same_persons_two_requests()
    with pytest.raises(DomainError, match=f"No other request {again.reference} of Leadsment"):
        duplicate(again, again.reference)
    again.refresh_from_db()
    assert again.status == "in_progress"


def test_another_vendors_request_is_not_found() -> None:
    other = routed(vendor_slug="leadoro", email="alice@example.com")
    _, again = same_persons_two_requests()
    with pytest.raises(DomainError, match="No other request"):
        duplicate(again, other.reference)
    again.refresh_from_db()
    assert again.status == "in_progress"


def test_a_closed_original_would_not_answer_the_person_so_it_is_refused() -> None:
    first, again = same_persons_two_requests()
    workflow.close_request(identified(first), status="completed", message="Erased.", actor=STAFF, now=LATER)
    with pytest.raises(DomainError, match=f"{first.reference} is completed: it will not answer the person"):
        duplicate(again, first.reference)
    again.refresh_from_db()
    assert again.status == "in_progress" and not first.events.filter(kind="repeated").exists()


def test_a_duplicate_needs_a_reason_and_spam_needs_the_reasons_the_person_is_told() -> None:
    first, again = same_persons_two_requests()
    with pytest.raises(DomainError, match="Say why this request is a duplicate"):
        workflow.mark_duplicate(again, of=first.reference, reason="  ", actor=STAFF, now=LATER)
    with pytest.raises(DomainError, match="the person is told the reasons"):
        workflow.mark_spam(again, reason=" ", actor=STAFF, now=LATER)
    again.refresh_from_db()
    assert again.status == "in_progress"


def test_spam_is_refused_with_the_reasons_and_its_open_work_stops() -> None:
    request = routed()
    workflow.mark_spam(request, reason="Advertising text, no request.", actor=STAFF, now=LATER)
    request.refresh_from_db()
    assert (request.status, request.closed_at, request.next_action_at) == ("rejected", LATER, None)
    assert set(request.assignments.values_list("status", "next_action_at")) == {("not_applicable", None)}
    (email,) = OutgoingEmail.objects.filter(request=request, kind="rejected")
    assert "Advertising text, no request." in email.body_text
