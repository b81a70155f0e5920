"""A pause's stored deadlines depend on the `now` the workflow is given, never on the wall clock."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from dsr.models import Request
from dsr.requests import schedule, workflow
from dsr.requests.signals import status_changed
from tests.factories import STAFF, noon, verified

pytestmark = pytest.mark.usefixtures("policies")

ASKED = dt.date(2026, 2, 6)  # UK GDPR Art 12A (stop-the-clock) is in force from 5 February 2026
ANSWERED = dt.date(2026, 2, 12)


def pause_and_resume(email: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The stored due_at while the pause is open, and once the person answered (the same `now`s each time)."""
    # Leadoro names the UK GDPR: a clarification pause stops its clock.
    request = verified(vendor_slug="leadoro", country="GB", request_type="access", email=email)
    workflow.pause_request(
        request, kind="clarification", on=ASKED, reason="Which account?", actor=STAFF, now=noon(ASKED)
    )
    request.refresh_from_db()
    paused = request.due_at
    workflow.resume_request(request, on=ANSWERED, actor=STAFF, now=noon(ANSWERED))
    request.refresh_from_db()
    return paused, request.due_at


def test_an_open_pause_counts_up_to_the_given_now_not_the_wall_clock() -> None:
    with time_machine.travel(noon(ASKED), tick=False):
        today = pause_and_resume("today@example.com")
    with time_machine.travel(noon(ASKED) + dt.timedelta(days=31), tick=False):
        a_month_later = pause_and_resume("later@example.com")
    assert today == a_month_later
    paused, resumed = today
    assert paused is not None and resumed is not None
    # Paused on the day it was asked: that day is out of the count, 28 February (clamped) + 1 = Sunday 1 March
    # -> Monday 2 March.
    assert paused.astimezone(dt.UTC).date() == dt.date(2026, 3, 2)
    # Asked 6 February, answered 12 February: 7 days do not count, both ends included (DPA 2018 s.54(3C)(b)):
    # 28 February + 7 = Saturday 7 March -> Monday 9 March (not Friday 6 March, which drops the answer's day).
    assert resumed.astimezone(dt.UTC).date() == dt.date(2026, 3, 9)


def test_while_paused_the_stored_date_moves_with_the_given_now_only() -> None:
    """Recomputed during the pause, the open pause runs to the `now` given, whatever the clock says."""
    dues = []
    for n, wall in enumerate((noon(ASKED), noon(ASKED) + dt.timedelta(days=31))):
        with time_machine.travel(wall, tick=False):
            request = verified(vendor_slug="leadoro", country="GB", request_type="access", email=f"p{n}@example.com")
            workflow.pause_request(
                request, kind="clarification", on=ASKED, reason="Which account?", actor=STAFF, now=noon(ASKED)
            )
            schedule.apply_deadlines(request, now=noon(ANSWERED), reason="checked while paused")
            request.refresh_from_db()
            dues.append(schedule.due_date(request))
    assert dues == [dt.date(2026, 3, 9), dt.date(2026, 3, 9)]


def test_a_question_asked_the_day_the_last_answer_came_does_not_count_that_day_twice() -> None:
    """Asked 6 February, answered 10 February; asked again that day, answered 11 February: 6 to 11 February do
    not count, 6 days, as for one pause from 6 to 11 February (28 February + 6 = Friday 6 March)."""
    once = verified(vendor_slug="leadoro", country="GB", request_type="access", email="once@example.com")
    twice = verified(vendor_slug="leadoro", country="GB", request_type="access", email="twice@example.com")
    asked_again = dt.date(2026, 2, 10)
    answers = [
        (once, ASKED, dt.date(2026, 2, 11)),
        (twice, ASKED, asked_again),
        (twice, asked_again, dt.date(2026, 2, 11)),
    ]
    for request, asked, answered in answers:
        workflow.pause_request(
            request, kind="clarification", on=asked, reason="Which account?", actor=STAFF, now=noon(asked)
        )
        workflow.resume_request(request, on=answered, actor=STAFF, now=noon(answered))
    once.refresh_from_db()
    twice.refresh_from_db()
    assert schedule.due_date(once) == schedule.due_date(twice) == dt.date(2026, 3, 6)


def test_a_pause_and_its_end_are_announced_with_the_deadlines_they_moved() -> None:
    """status_changed is heard inside the change (the API's and the agents' callbacks are built then): the
    request it carries already holds the deadlines the pause or its end set, as they are committed."""
    heard: list[tuple[str, dt.datetime | None]] = []

    def listen(sender: object, *, request: Request, new_status: str, **_: object) -> None:
        heard.append((new_status, request.due_at))

    status_changed.connect(listen, sender=Request, dispatch_uid="test-pause-announced")
    try:
        paused, resumed = pause_and_resume("heard@example.com")
    finally:
        status_changed.disconnect(listen, sender=Request, dispatch_uid="test-pause-announced")
    at = heard.index(("awaiting_subject", paused))
    assert heard[at + 1] == ("verified", resumed)  # unrouted when it paused: routed next, at the same date
    assert paused != resumed  # the end of the pause moved the date
