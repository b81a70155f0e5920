"""The state a request is worked by, its days left, and its dates, counted in the responder's time zone."""

from __future__ import annotations

import datetime as dt

import pytest

from dsr.requests import queue
from dsr.requests.queue import work_state
from dsr.requests.schedule import RECIPIENT_ACTIONS
from tests.factories import RECEIVED, routed

TODAY = dt.date(2026, 3, 1)


def state(status: str = "in_progress", due_in: int | None = 20, *, identity: bool = False, gap: bool = False) -> str:
    due = TODAY + dt.timedelta(days=due_in) if due_in is not None else None
    s = work_state(status=status, due_on=due, today=TODAY, identity_pending=identity, policy_gap=gap)
    return f"{s.label} | {s.days_words}"


def test_each_state_with_its_days_left() -> None:
    assert state("submitted", None) == "Waiting for email confirmation | "
    assert state("verified", 29) == "Unrouted | 29 days left"
    assert state("awaiting_subject", -3) == "Paused: waiting for the person | 3 days overdue"
    assert state(due_in=-1, identity=True, gap=True) == "Overdue | 1 day overdue"
    assert state(due_in=3, identity=True, gap=True) == "Policy gap | 3 days left"
    assert state(due_in=3, identity=True) == "Waiting for identity | 3 days left"
    # Every responder has answered: a lead's approval is the work left, unless the date is missed or the
    # identity check (which the approval waits for) is not recorded yet.
    assert state("awaiting_approval", 3) == "Answer awaiting approval | 3 days left"
    assert state("awaiting_approval", 3, identity=True) == "Waiting for identity | 3 days left"
    assert state("awaiting_approval", -2) == "Overdue | 2 days overdue"
    assert state(due_in=7) == "Due within 7 days | 7 days left"
    assert state(due_in=0) == "Due within 7 days | due today"
    assert state(due_in=8) == "On track | 8 days left"
    assert state("completed", 8) == "Closed | "


@pytest.mark.usefixtures("policies")
def test_days_left_and_dates_are_the_responders_not_utc() -> None:
    # Leadsment answers from Helsinki (UTC+2 in winter): 22:30 UTC on 1 March is already 2 March there.
    request = routed(now=RECEIVED)
    # The recipients are told (their earlier task would otherwise be the state shown): the request's own days.
    request.assignments.filter(action__in=RECIPIENT_ACTIONS).update(status="done")
    assert queue.responder_day(request, dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.UTC)) == "2 Mar 2026"
    assert queue.responder_day(request, dt.datetime(2026, 3, 1, 21, 30, tzinfo=dt.UTC)) == "1 Mar 2026"
    assert queue.responder_day(request, request.due_at) == "2 Mar 2026"  # the end of the responder's day
    before_midnight = dt.datetime(2026, 2, 28, 21, 30, tzinfo=dt.UTC)  # 23:30 on 28 Feb in Helsinki
    after_midnight = dt.datetime(2026, 2, 28, 22, 30, tzinfo=dt.UTC)  # 00:30 on 1 Mar in Helsinki
    assert queue.request_state(request, before_midnight).days_words == "2 days left"
    assert queue.request_state(request, after_midnight).days_words == "1 day left"
