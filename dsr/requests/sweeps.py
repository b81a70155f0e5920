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
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, QuerySet

from .. import jobs
from ..bulk import update_each
from ..models import Assignment, Request
from ..outbox.emails import Pending, queue_many
from .notices import contact_emails_by_version, handler_emails, responder_link, staff_emails_by_vendor, to_each
from .schedule import REMINDER_DAYS, due_date, next_reminder_at
from .timeline import SYSTEM, Step, record_many

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


@dataclass
class _Outcome:
    """What handling one due assignment comes to: its new state (set on `assignment`), a timeline step and
    emails. Computed in memory; `_write` stores a batch of them."""

    assignment: Assignment
    step: Step | None = None
    emails: list[Pending] = field(default_factory=list)


def sweep_deadlines(
    *, now: dt.datetime, batch: int = BATCH_SIZE, claim: Callable[[dt.datetime, int], list[Assignment]] = claim_due
) -> int:
    """Send due reminders and escalate overdue assignments. Returns how many rows it handled.

    A batch is done in bulk, in one transaction: the claimed rows' requests, staff teams and contacts read
    in one query each, every event in one INSERT, every email in one INSERT (once per key) and one task
    message that sends them all, the assignments in one UPDATE. A row whose handling
    fails is fenced (looked at again after POISON_BACKOFF) without stopping the others: one that cannot
    be computed is left out; if the bulk write fails, the batch is written row by row, each in a
    savepoint. `claim` selects and locks the rows (inside the sweep's transaction); only tests pass another."""
    with transaction.atomic():
        due = claim(now, batch)
        if not due:
            return 0
        requests = lock_requests({a.request_id for a in due})
        # A request a staff change holds waits for the next sweep, with its assignment (not counted here).
        due = [a for a in due if a.request_id in requests]
        staff = staff_emails_by_vendor({r.vendor_id for r in requests.values()})
        contacts = contact_emails_by_version({r.policy_version_id for r in requests.values()})
        outcomes, fenced = [], []
        for assignment in due:
            try:
                request = requests[assignment.request_id]
                outcomes.append(_plan(assignment, request, now=now, staff=staff[request.vendor_id], contacts=contacts))
            except Exception:  # a poison row must not stop the sweep
                log.exception("sweep failed for assignment %s; looking again later", assignment.pk)
                fenced.append(assignment.pk)
        try:
            with transaction.atomic():
                _write(outcomes, now=now)
        except Exception:
            log.exception("the sweep's batch write failed; writing its %s rows one by one", len(outcomes))
            for outcome in outcomes:
                try:
                    with transaction.atomic():
                        _write([outcome], now=now)
                except Exception:
                    log.exception("sweep failed for assignment %s; looking again later", outcome.assignment.pk)
                    fenced.append(outcome.assignment.pk)
        if fenced:
            Assignment.objects.filter(pk__in=fenced).update(next_action_at=now + POISON_BACKOFF)
    return len(due)


def lock_requests(ids: set[int]) -> dict[int, Request]:
    """The claimed assignments' requests, their rows locked for their timelines (an event's append moves the
    chain's head), skipping any a staff change holds: the sweep must not wait on it, as the change may be
    waiting for an assignment row the sweep holds (a deadlock). Only what the emails need is read."""
    return dict(
        Request.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("vendor", "policy_version")
        .only("reference", "due_at", "last_event_hash", "vendor__name", "policy_version__timezone")
        .in_bulk(ids)
    )


def _plan(
    assignment: Assignment, request: Request, *, now: dt.datetime, staff: list[str], contacts: dict[int, str]
) -> _Outcome:
    """The reminder or escalation due for this assignment now (if any) and its next look, in memory."""
    outcome = _Outcome(assignment)
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
            outcome.step = Step(
                request,
                "escalated",
                f"Overdue: {assignment.responder_name} ({assignment.get_action_display()}) "
                f"was due {context['due']}. Escalated to the privacy staff.",
            )
            outcome.emails = to_each(
                staff,
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
            outcome.step = Step(
                request, "reminder", f"Reminder sent to {assignment.responder_name}: due in {days} days."
            )
            outcome.emails = to_each(
                handler_emails(request, assignment, staff=staff, contacts=contacts),
                key=f"{request.reference}:reminder:{assignment.pk}:{context['due']}:{days}",
                template="reminder",
                context={**context, "days": days, "link": responder_link(request, assignment)},
                request=request,
            )
    assignment.next_action_at = next_reminder_at(assignment)
    return outcome


def _write(outcomes: list[_Outcome], *, now: dt.datetime) -> None:
    """Store a batch's outcomes: one INSERT of events, one of emails, one UPDATE of the assignments."""
    record_many([o.step for o in outcomes if o.step is not None], actor=SYSTEM, now=now)
    queue_many([email for o in outcomes for email in o.emails])
    update_each(
        Assignment,
        ["reminders_sent", "escalated_at", "next_action_at"],
        {
            o.assignment.pk: [o.assignment.reminders_sent, o.assignment.escalated_at, o.assignment.next_action_at]
            for o in outcomes
        },
    )


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
