"""The edges of a request's state changes: the day a pause may end, who closes as completed or partially
completed, what each closing records (when, and the timeline entry), and the messages staff see when an
action is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from dsr.models import Assignment, OutgoingEmail, Request
from dsr.privacy import retention
from dsr.requests import workflow
from dsr.requests.errors import DomainError
from tests.factories import LATER, RECEIVED, STAFF, identified, noon, verified
from tests.factories import filed as file

pytestmark = pytest.mark.usefixtures("policies")


def kinds(request: Request) -> list[str]:
    return list(request.events.values_list("kind", flat=True))


def paused_on(request: Request, day: dt.date) -> Request:
    return workflow.pause_request(
        request, kind="identity", on=day, reason="Please confirm.", actor=STAFF, now=noon(day)
    )


def test_a_pause_can_end_on_the_day_it_began_but_not_before() -> None:
    request = paused_on(verified(), dt.date(2026, 2, 3))
    with pytest.raises(DomainError, match="started on 2026-02-03; it cannot end before that"):
        workflow.resume_request(request, on=dt.date(2026, 2, 2), actor=STAFF, now=noon(dt.date(2026, 2, 3)))
    request = workflow.resume_request(request, on=dt.date(2026, 2, 3), actor=STAFF, now=noon(dt.date(2026, 2, 3)))
    request.refresh_from_db()
    assert request.pauses.get().ended_on == dt.date(2026, 2, 3)
    assert "resumed" in kinds(request)


def test_resuming_a_request_that_waits_for_nothing_is_refused_and_says_so() -> None:
    request = paused_on(verified(), dt.date(2026, 2, 3))
    workflow.resume_request(request, on=dt.date(2026, 2, 4), actor=STAFF, now=noon(dt.date(2026, 2, 4)))
    request.refresh_from_db()
    request.status = Request.Status.AWAITING_SUBJECT  # e.g. a stale admin page submits "resume" again
    request.save(update_fields=["status"])
    with pytest.raises(DomainError, match="not waiting for the person"):
        workflow.resume_request(request, on=dt.date(2026, 2, 5), actor=STAFF, now=noon(dt.date(2026, 2, 5)))


def test_resuming_a_routed_request_keeps_it_in_progress_and_does_not_route_it_again() -> None:
    request = verified()
    workflow.route_request(request.pk, now=RECEIVED)
    paused_on(request, dt.date(2026, 2, 3))
    request = workflow.resume_request(request, on=dt.date(2026, 2, 4), actor=STAFF, now=noon(dt.date(2026, 2, 4)))
    request.refresh_from_db()
    assert request.status == "in_progress"
    assert kinds(request).count("routed") == 1
    assert OutgoingEmail.objects.filter(kind="routed").count() == 1


def test_completing_an_assignment_needs_an_outcome() -> None:
    request = identified(workflow.route_request(verified(request_type="access").pk, now=RECEIVED))
    (assignment,) = request.assignments.all()
    with pytest.raises(DomainError, match="Say what was done"):
        workflow.complete_assignment(assignment, outcome="  ", actor=STAFF, now=LATER)
    assignment.refresh_from_db()
    assert assignment.status == "open"


def test_a_request_without_legal_holds_is_completed_once_its_answer_is_approved() -> None:
    request = identified(workflow.route_request(verified(request_type="access").pk, now=RECEIVED))
    (assignment,) = request.assignments.all()
    workflow.complete_assignment(assignment, outcome="Copy of the data sent.", actor=STAFF, now=LATER)
    assignment.refresh_from_db()
    request.refresh_from_db()
    assert assignment.status == "done"
    assert assignment.completed_at == LATER
    assert assignment.outcome == "Copy of the data sent."
    assert request.status == "awaiting_approval" and request.closed_at is None
    done = request.events.get(kind="assignment_done")
    assert done.data == {"assignment": assignment.pk, "part": assignment.answer_part.pk, "partial": False}
    assert "Copy of the data sent." in done.message
    approved = LATER + dt.timedelta(days=1)
    workflow.approve_answer(request, actor=STAFF, now=approved)
    request.refresh_from_db()
    assert request.status == "completed"
    assert request.closed_at == approved


def test_completing_an_assignment_twice_changes_nothing() -> None:
    request = workflow.route_request(verified().pk, now=RECEIVED)
    first, *_others = Assignment.objects.filter(request=request).order_by("pk")
    workflow.complete_assignment(first, outcome="Erased.", actor=STAFF, now=LATER)
    again = workflow.complete_assignment(first, outcome="Erased again.", actor=STAFF, now=LATER + dt.timedelta(days=1))
    assert again.outcome == "Erased."
    assert again.completed_at == LATER
    request.refresh_from_db()
    assert request.status == "in_progress"  # the other assignment is still open


def test_withdrawal_records_when_and_says_so_in_the_timeline() -> None:
    request = workflow.route_request(verified().pk, now=RECEIVED)
    workflow.withdraw_request(request, now=LATER)
    request.refresh_from_db()
    assert request.closed_at == LATER
    assert request.next_action_at is None
    assert kinds(request)[-1] == "withdrawn"
    assert set(request.assignments.values_list("next_action_at", flat=True)) == {None}


def test_an_unconfirmed_request_expires_on_the_day_of_the_sweep_and_says_so() -> None:
    request = file()
    swept = RECEIVED + dt.timedelta(days=8)
    assert retention.expire_unverified(now=swept) == 1
    request.refresh_from_db()
    assert request.status == "expired"
    assert request.closed_at == swept
    assert "expired" in kinds(request)


def test_staff_closing_a_request_records_when_and_closes_its_open_assignments() -> None:
    request = identified(workflow.route_request(verified().pk, now=RECEIVED))
    workflow.close_request(request, status="completed", message="", actor=STAFF, now=LATER)
    request.refresh_from_db()
    assert request.status == "completed"
    assert request.closed_at == LATER
    assert set(request.assignments.values_list("status", flat=True)) == {"not_applicable"}
    assert request.events.get(kind="completed").message == "Request answered."
