"""Periodic jobs over requests (Celery beat): reminders and escalations, and routing left behind.

Each job selects due rows through a partial index (cost grows with what is due, not with all
requests), claims each row inside a transaction with `skip_locked` so two sweeps never act on the same
row, works in bounded batches, and pushes a failing row's next look into the future so one bad row
cannot stop the rest.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.db import transaction
from django.db.models import Q, QuerySet

from .. import jobs
from ..models import Assignment, Request
from .notices import handler_emails, queue_to_each, responder_link, staff_emails
from .schedule import REMINDER_DAYS, due_date, next_reminder_at
from .timeline import SYSTEM, record

log = logging.getLogger(__name__)

BATCH_SIZE = 200
# Work that should have been picked up by now: a lost broker message, a worker that died.
STUCK_AFTER = dt.timedelta(minutes=5)
POISON_BACKOFF = dt.timedelta(hours=1)


def claim_due(now: dt.datetime, batch: int) -> list[Assignment]:
    """Up to `batch` due open assignments, locked until the transaction ends; rows another sweep holds
    are skipped (never waited for, never handled twice)."""
    return list(
        Assignment.objects.select_for_update(skip_locked=True)
        .filter(status=Assignment.Status.OPEN, next_action_at__lte=now)
        .order_by("next_action_at")[:batch]
    )


def sweep_deadlines(
    *, now: dt.datetime, batch: int = BATCH_SIZE, claim: Callable[[dt.datetime, int], list[Assignment]] = claim_due
) -> int:
    """Send due reminders and escalate overdue assignments. Returns how many rows it handled.

    `claim` selects and locks the rows to handle (inside the sweep's transaction); only tests pass another."""
    handled = 0
    with transaction.atomic():
        due = claim(now, batch)
        for assignment in due:
            try:
                with transaction.atomic():
                    _remind_or_escalate(assignment, now=now)
            except Exception:  # a poison row must not stop the sweep
                log.exception("sweep failed for assignment %s; looking again later", assignment.pk)
                Assignment.objects.filter(pk=assignment.pk).update(next_action_at=now + POISON_BACKOFF)
            handled += 1
    return handled


def lock_request(request_id: int) -> Request | None:
    """The assignment's request, its row locked for its timeline (an event's append takes it), or None where a
    staff change holds it: the assignment then waits for the next sweep rather than the sweep waiting (the
    change may be waiting for this assignment's row, which the sweep holds: a deadlock). Only what the
    emails need is read: not the law copies, the deadline answer or the policy document."""
    return (
        Request.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("vendor", "policy_version")
        .defer("deadlines", "details", "policy_version__document")
        .filter(pk=request_id)
        .first()
    )


def _remind_or_escalate(assignment: Assignment, *, now: dt.datetime) -> None:
    request = lock_request(assignment.request_id)
    if request is None:
        return
    context = {
        "reference": request.reference,
        "vendor": request.vendor.name,
        "responder": assignment.responder_name,
        "action": assignment.get_action_display(),
        "due": (due_date(request) or assignment.due_at.date()).isoformat(),
        "explanation": assignment.explanation,
    }
    if now >= assignment.due_at:
        if assignment.escalated_at is None:
            assignment.escalated_at = now
            record(
                request,
                "escalated",
                f"Overdue: {assignment.responder_name} ({assignment.get_action_display()}) "
                f"was due {context['due']}. Escalated to the privacy staff.",
                actor=SYSTEM,
                now=now,
            )
            queue_to_each(
                staff_emails(request),
                key=f"{request.reference}:escalation:{assignment.pk}:{context['due']}",
                template="escalation",
                context=context,
                request=request,
            )
    else:
        passed = [d for d in REMINDER_DAYS if now >= assignment.due_at - dt.timedelta(days=d)]
        fresh = [d for d in passed if d not in assignment.reminders_sent]
        if fresh:
            days = min(fresh)  # only the nearest reminder, even if the request was routed late
            assignment.reminders_sent = sorted(set(assignment.reminders_sent) | set(passed))
            record(
                request,
                "reminder",
                f"Reminder sent to {assignment.responder_name}: due in {days} days.",
                actor=SYSTEM,
                now=now,
            )
            queue_to_each(
                handler_emails(request, assignment),
                key=f"{request.reference}:reminder:{assignment.pk}:{context['due']}:{days}",
                template="reminder",
                context={**context, "days": days, "link": responder_link(request, assignment)},
                request=request,
            )
    assignment.next_action_at = next_reminder_at(assignment)
    assignment.save(update_fields=["escalated_at", "reminders_sent", "next_action_at"])


def unrouted_due(*, now: dt.datetime) -> QuerySet[Request]:
    """Verified (or accepted without confirmation), never paused, and still not routed a while later.

    Reads the partial index dsr_request_unrouted; an accepted request has no `verified_at` and is
    due from its receipt.
    """
    late = now - STUCK_AFTER
    return Request.objects.filter(
        Q(verified_at__lte=late) | Q(verified_at__isnull=True, received_at__lte=late),
        status=Request.Status.VERIFIED,
        pauses__isnull=True,
    )


def reconcile_routing(*, now: dt.datetime) -> int:
    """Verified requests never routed (a lost broker message, a worker that died) are queued again."""
    unrouted = unrouted_due(now=now).values_list("pk", flat=True)[:BATCH_SIZE]
    count = 0
    for pk in unrouted:
        jobs.enqueue("route_request_task", pk)
        count += 1
    return count
