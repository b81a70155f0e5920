"""The deadline sweep drains: rows it handles leave the due set, so a backlog of overdue work is escalated
once each and the re-queued task stops, instead of the same rows filling every batch for ever."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dsr import tasks
from dsr.models import Assignment, Event, OutgoingEmail
from dsr.requests import schedule, sweeps
from tests.factories import RECEIVED, routed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("policies")]


def overdue_backlog(n: int) -> tuple[int, dt.datetime]:
    """`n` open assignments, first seen by the sweep already overdue (no reminder ever sent)."""
    request = routed(vendor_slug="leadsment", country="FI")
    template = request.assignments.first()
    assert template is not None
    due = RECEIVED + dt.timedelta(days=1)
    rows = [
        Assignment(
            request=request,
            responder_kind=template.responder_kind,
            responder_name=f"Recipient {i}",
            responder_email=f"r{i}@example.net",
            action=template.action,
            due_at=due,
            explanation="Tell the recipient.",
        )
        for i in range(n)
    ]
    request.assignments.update(due_at=due)
    Assignment.objects.bulk_create(rows)
    for row in request.assignments.all():
        row.next_action_at = schedule.next_reminder_at(row)
        row.save(update_fields=["next_action_at"])
    return request.pk, due


def test_a_backlog_of_already_overdue_rows_is_escalated_once_each_and_the_task_stops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    request_pk, due = overdue_backlog(450)
    now = due + dt.timedelta(days=3)
    monkeypatch.setattr(tasks.timezone, "now", lambda: now)
    queued: list[int] = []
    monkeypatch.setattr(tasks.sweep_deadlines_task, "delay", lambda: queued.append(1))

    tasks.sweep_deadlines_task()
    runs = 1
    while queued and runs < 20:  # each re-queue runs the next batch, as the worker would
        queued.pop()
        tasks.sweep_deadlines_task()
        runs += 1

    open_rows = Assignment.objects.filter(request_id=request_pk, status="open")
    total = open_rows.count()
    assert total > 450
    assert runs <= 4, f"the sweep kept re-queuing itself ({runs} runs for {total} rows)"
    assert not open_rows.filter(escalated_at__isnull=True).exists()
    assert not open_rows.filter(next_action_at__lte=now).exists(), "handled rows must leave the due set"
    assert Event.objects.filter(request_id=request_pk, kind="escalated").count() == total
    # one escalation email per assignment (to the staff address), never two
    keys = list(OutgoingEmail.objects.filter(kind="escalation").values_list("key", flat=True))
    assert len(keys) == len(set(keys)) == total
    # a later sweep finds nothing left to do
    assert sweeps.sweep_deadlines(now=now + dt.timedelta(days=1)) == 0


def test_reminders_still_come_before_escalation_for_a_row_seen_in_time(settings: Any) -> None:
    request = routed(vendor_slug="leadsment", country="FI")
    assignment = request.assignments.get(action="fulfil")
    sweeps.sweep_deadlines(now=assignment.due_at - dt.timedelta(days=7))
    assignment.refresh_from_db()
    assert assignment.reminders_sent == [7]
    assert assignment.next_action_at == assignment.due_at - dt.timedelta(days=2)
    sweeps.sweep_deadlines(now=assignment.due_at + dt.timedelta(hours=1))
    assignment.refresh_from_db()
    assert assignment.escalated_at is not None and assignment.next_action_at is None
