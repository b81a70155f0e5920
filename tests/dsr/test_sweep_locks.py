"""The deadline sweep: concurrent sweeps remind once, a bad row never stops the batch, a full batch
carries on in a fresh task (PostgreSQL row locks for the concurrent cases)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from dsr import tasks
from dsr.models import Assignment, Event, OutgoingEmail, Request
from dsr.requests import sweeps
from tests.dsr.test_concurrency import at_once, route_some

SWEEPS = 3


@pytest.fixture
def no_broker(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[object, ...]]]:
    """Tasks queued by the services are recorded, not sent to Redis."""
    queued: list[tuple[str, tuple[object, ...]]] = []
    monkeypatch.setattr("dsr.jobs.enqueue", lambda task, *args, queue=None: queued.append((task, args)))
    return queued


def reminder_events() -> int:
    return Event.objects.filter(kind="reminder").count()


def claimed_then_all_together(
    claim: Callable[[dt.datetime, int], list[Assignment]],
) -> Callable[[dt.datetime, int], list[Assignment]]:
    """Every sweep claims its rows before any of them acts on one: the worst interleaving, every time."""
    barrier = threading.Barrier(SWEEPS)

    def claim_and_wait(now: dt.datetime, batch: int) -> list[Assignment]:
        rows = claim(now, batch)
        barrier.wait(timeout=5)
        return rows

    return claim_and_wait


def plain_select(now: dt.datetime, batch: int) -> list[Assignment]:
    """What a sweep without row locks would read."""
    return list(
        Assignment.objects.filter(status=Assignment.Status.OPEN, next_action_at__lte=now).order_by("next_action_at")[
            :batch
        ]
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres", "policies", "no_broker")
def test_concurrent_sweeps_send_each_reminder_once() -> None:
    when = route_some(6)
    claim = claimed_then_all_together(sweeps.claim_due)
    assert at_once(lambda: sweeps.sweep_deadlines(now=when, claim=claim), n=SWEEPS) == []
    assignments = Assignment.objects.count()
    assert reminder_events() == assignments
    assert OutgoingEmail.objects.filter(kind="reminder").count() == assignments
    assert all(sent == [7] for sent in Assignment.objects.values_list("reminders_sent", flat=True))
    assert not Assignment.objects.filter(next_action_at__lte=when).exists()  # none pushed back as a bad row


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres", "policies", "no_broker")
def test_control_without_row_locks_the_same_sweeps_remind_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    """The harness above would notice a sweep that does not lock: here, without locks, it sees doubles."""
    monkeypatch.setattr(sweeps, "lock_requests", lambda ids: Request.objects.in_bulk(ids))  # nor the requests
    when = route_some(6)
    claim = claimed_then_all_together(plain_select)
    assert at_once(lambda: sweeps.sweep_deadlines(now=when, claim=claim), n=SWEEPS) == []
    assert reminder_events() > Assignment.objects.count()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres", "policies", "no_broker")
def test_a_sweep_does_not_wait_for_a_row_another_sweep_holds() -> None:
    when = route_some(3)
    held = Assignment.objects.order_by("pk").first()
    assert held is not None
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Assignment.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        with transaction.atomic():
            with connection.cursor() as cursor:  # a sweep that waited would fail here instead of hanging
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            handled = sweeps.sweep_deadlines(now=when)
    finally:
        release.set()
        holder.join()
    assert handled == Assignment.objects.count() - 1
    held.refresh_from_db()
    assert held.reminders_sent == []
    assert sweeps.sweep_deadlines(now=when) == 1  # released: the next sweep takes it


@pytest.mark.django_db
@pytest.mark.usefixtures("policies", "no_broker")
@pytest.mark.parametrize(
    ("fails_in", "error"),
    [("_plan", RuntimeError("bad row")), ("queue_many", DatabaseError("refused"))],
    ids=["cannot be computed", "refused by the database when the batch is written"],
)
def test_a_failing_row_does_not_stop_the_others_and_is_looked_at_again_later(
    monkeypatch: pytest.MonkeyPatch, fails_in: str, error: Exception
) -> None:
    """A row that cannot be computed is left out of the batch; when the bulk write fails, the batch is
    written row by row and the row that fails again is fenced (its event undone with it)."""
    when = route_some(3)
    poison = Assignment.objects.order_by("pk").first()
    assert poison is not None
    real = getattr(sweeps, fails_in)

    def fails_for_poison(first: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(first, Assignment):
            touched = first.pk == poison.pk
        else:  # the batch's emails
            touched = any(f":reminder:{poison.pk}:" in email.key for email in first)
        if touched:
            raise error
        return real(first, *args, **kwargs)

    monkeypatch.setattr(sweeps, fails_in, fails_for_poison)
    assert sweeps.sweep_deadlines(now=when) == Assignment.objects.count()
    others = Assignment.objects.exclude(pk=poison.pk)
    assert all(sent == [7] for sent in others.values_list("reminders_sent", flat=True))
    assert OutgoingEmail.objects.filter(kind="reminder").count() == others.count()
    assert reminder_events() == others.count()
    assert not OutgoingEmail.objects.filter(key__contains=f":reminder:{poison.pk}:").exists()
    poison.refresh_from_db()
    assert poison.reminders_sent == []
    assert poison.next_action_at == when + sweeps.POISON_BACKOFF

    monkeypatch.setattr(sweeps, fails_in, real)
    assert sweeps.sweep_deadlines(now=when + dt.timedelta(minutes=59)) == 0
    assert sweeps.sweep_deadlines(now=when + sweeps.POISON_BACKOFF) == 1
    poison.refresh_from_db()
    assert poison.reminders_sent == [7]


@pytest.mark.django_db
@pytest.mark.usefixtures("policies", "no_broker")
def test_a_full_batch_queues_the_next_sweep_and_a_partial_one_does_not(monkeypatch: pytest.MonkeyPatch) -> None:
    when = route_some(4)
    assert Assignment.objects.count() == 4
    queued: list[str] = []
    monkeypatch.setattr(sweeps, "BATCH_SIZE", 3)
    monkeypatch.setattr(tasks.sweep_deadlines_task, "delay", lambda: queued.append("sweep"))
    with time_machine.travel(when, tick=False):
        tasks.sweep_deadlines_task()
        assert queued == ["sweep"]  # a full batch handled, more may be due: carry on
        assert Assignment.objects.filter(reminders_sent=[7]).count() == 3
        tasks.sweep_deadlines_task()
        assert queued == ["sweep"]  # the last one: done
        assert Assignment.objects.filter(reminders_sent=[7]).count() == 4
        tasks.sweep_deadlines_task()
        assert queued == ["sweep"]


def sweep_statements(when: dt.datetime) -> tuple[int, int]:
    """(rows handled, SQL statements) of one sweep."""
    with CaptureQueriesContext(connection) as queries:
        handled = sweeps.sweep_deadlines(now=when)
    return handled, len(queries)


@pytest.mark.django_db
@pytest.mark.usefixtures("policies")
def test_a_batch_costs_the_same_statements_and_one_task_message_however_many_rows(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    """The sweep writes a batch in bulk: a batch of 8 rows makes as many SQL statements as one of 4, and
    its emails leave in one task message (sent over one SMTP connection by the worker)."""
    queued: list[tuple[str, tuple[Any, ...]]] = []
    monkeypatch.setattr("dsr.jobs.enqueue", lambda task, *args, queue=None: queued.append((task, args)))
    when = route_some(4)
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):  # the send task is queued after commit
        small = sweep_statements(when)
    assert small[0] == 4
    assert [task for task, _ in queued] == ["send_emails_task"]
    assert sorted(queued[0][1][0]) == sorted(OutgoingEmail.objects.filter(kind="reminder").values_list("pk", flat=True))

    route_some(8, prefix="q")
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        large = sweep_statements(when)  # the 8 new rows (the first 4 are not due again)
    assert large[0] == 8
    # With the timeline chain (its heads read and moved) and, on PostgreSQL, the ids drawn before each COPY
    # and the outbox's savepoint (dsr.bulk.insert, emails.queue_many).
    assert large[1] == small[1] <= 18, (small, large)
    assert [task for task, _ in queued] == ["send_emails_task"] and len(queued[0][1][0]) == 8
    assert reminder_events() == 12

    # A batch that mixes escalations with reminders still writes its assignments in one statement.
    route_some(6, prefix="r")
    overdue = Assignment.objects.filter(request__subject_email__startswith="r").order_by("pk")[:3]
    Assignment.objects.filter(pk__in=list(overdue.values_list("pk", flat=True))).update(
        due_at=when - dt.timedelta(days=1), next_action_at=when - dt.timedelta(days=1)
    )
    mixed = sweep_statements(when)
    assert mixed == (6, small[1])
    assert Event.objects.filter(kind="escalated").count() == 3 and reminder_events() == 15
