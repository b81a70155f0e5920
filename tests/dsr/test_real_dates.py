"""Dates staff enter are real (issue #12, item 6).

An extension is announced the day its notice is sent, so a late extension cannot be made to look on
time by typing an earlier date; a pause or the person's answer cannot be dated after today or before
receipt; and the timeline keeps the real time of the action beside the date it names.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dsr.models import Event, Pause
from dsr.requests import schedule, workflow
from dsr.requests.errors import DomainError
from tests.factories import STAFF, noon, verified

pytestmark = pytest.mark.usefixtures("policies")


def test_an_extension_sent_after_the_notice_deadline_is_refused_whatever_date_staff_have_in_mind() -> None:
    # Sera Leads, Estonia: GDPR, due Monday 2 March; the extension must be announced by then.
    request = verified(vendor_slug="sera-leads", country="EE")
    with pytest.raises(DomainError, match="announced"):
        workflow.extend_request(request, reason="Complex.", actor=STAFF, now=noon(dt.date(2026, 3, 10)))
    request.refresh_from_db()
    assert not request.extended and schedule.due_date(request) == dt.date(2026, 3, 2)


def test_an_extension_is_announced_on_the_day_it_is_sent() -> None:
    request = verified(vendor_slug="sera-leads", country="EE")
    workflow.extend_request(request, reason="Complex.", actor=STAFF, now=noon(dt.date(2026, 2, 20)))
    request.refresh_from_db()
    assert request.extension_announced_on == dt.date(2026, 2, 20)


@pytest.mark.parametrize("days_ahead", [1, 30])
def test_a_pause_cannot_be_dated_in_the_future(days_ahead: int) -> None:
    request = verified()
    today = dt.date(2026, 2, 3)
    with pytest.raises(DomainError, match="after today"):
        workflow.pause_request(
            request,
            kind="identity",
            on=today + dt.timedelta(days=days_ahead),
            reason="Which account?",
            actor=STAFF,
            now=noon(today),
        )
    assert not Pause.objects.filter(request=request).exists()


def test_a_pause_cannot_be_dated_before_receipt() -> None:
    request = verified()
    with pytest.raises(DomainError, match="before the request was received"):
        workflow.pause_request(
            request, kind="identity", on=dt.date(2026, 1, 20), reason="?", actor=STAFF, now=noon(dt.date(2026, 2, 3))
        )


def test_the_persons_answer_cannot_be_dated_in_the_future() -> None:
    request = verified()
    asked = dt.date(2026, 2, 3)
    workflow.pause_request(request, kind="identity", on=asked, reason="?", actor=STAFF, now=noon(asked))
    with pytest.raises(DomainError, match="after today"):
        workflow.resume_request(request, on=dt.date(2026, 2, 10), actor=STAFF, now=noon(dt.date(2026, 2, 5)))
    assert Pause.objects.get(request=request).ended_on is None


def test_the_timeline_keeps_the_real_time_beside_a_backdated_date() -> None:
    request = verified()
    workflow.pause_request(
        request, kind="identity", on=dt.date(2026, 2, 2), reason="?", actor=STAFF, now=noon(dt.date(2026, 2, 5))
    )
    workflow.resume_request(request, on=dt.date(2026, 2, 6), actor=STAFF, now=noon(dt.date(2026, 2, 9)))
    paused = Event.objects.get(request=request, kind="paused")
    resumed = Event.objects.get(request=request, kind="resumed")
    assert paused.at == noon(dt.date(2026, 2, 5)) and "Recorded on 05 Feb 2026 12:00" in paused.message
    assert paused.data == {"on": "2026-02-02", "recorded_at": noon(dt.date(2026, 2, 5)).isoformat()}
    assert "Recorded on 09 Feb 2026 12:00" in resumed.message
