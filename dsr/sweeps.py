"""Periodic jobs (Celery beat): reminders and escalations, expiry and purge, reconciliation.

Each job selects due rows through a partial index (cost grows with what is due, not with all
requests), claims each row inside a transaction with `skip_locked` so two sweeps never act on the same
row, works in bounded batches, and pushes a failing row's next look into the future so one bad row
cannot stop the rest.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from .models import Assignment, Event, OutgoingEmail, Request
from .notifications import STUCK_SENDING_AFTER
from .tokens import LIFETIMES, make_token
from .workflow import REMINDER_DAYS, due_date, handler_emails, next_reminder_at, queue_to_each, staff_emails

log = logging.getLogger(__name__)

BATCH_SIZE = 200
# How long the record of a closed request is kept before its personal data is erased: the vendor may
# need to show how it answered (complaints and claims), so the request, its timeline and its deadlines
# stay; the name, email, details and email bodies are blanked. The audit rows are never deleted.
CLOSED_RETENTION = dt.timedelta(days=3 * 365)
# An unverified request expires (and loses its personal data) when its verification link does.
UNVERIFIED_RETENTION = LIFETIMES["verify"]
# Work that should have been picked up by now: a lost broker message, a worker that died.
STUCK_AFTER = dt.timedelta(minutes=5)
POISON_BACKOFF = dt.timedelta(hours=1)


def sweep_deadlines(*, now: dt.datetime | None = None, batch: int = BATCH_SIZE) -> int:
    """Send due reminders and escalate overdue assignments. Returns how many rows it handled."""
    now = now or timezone.now()
    handled = 0
    with transaction.atomic():
        due = list(
            Assignment.objects.select_for_update(skip_locked=True)
            .filter(status=Assignment.Status.OPEN, next_action_at__lte=now)
            .order_by("next_action_at")[:batch]
        )
        for assignment in due:
            try:
                with transaction.atomic():
                    _remind_or_escalate(assignment, now=now)
            except Exception:  # a poison row must not stop the sweep
                log.exception("sweep failed for assignment %s; looking again later", assignment.pk)
                Assignment.objects.filter(pk=assignment.pk).update(next_action_at=now + POISON_BACKOFF)
            handled += 1
    return handled


def _remind_or_escalate(assignment: Assignment, *, now: dt.datetime) -> None:
    request = Request.objects.select_related("vendor", "policy_version").get(pk=assignment.request_id)
    context = {
        "reference": request.reference,
        "vendor": request.vendor.name,
        "responder": assignment.responder_name,
        "action": assignment.get_action_display(),
        "due": (due_date(request) or assignment.due_at.date()).isoformat(),
        "explanation": assignment.explanation,
    }
    responder_link = f"/respond/{make_token('responder', request.reference, assignment_id=assignment.pk)}/"
    if now >= assignment.due_at:
        if assignment.escalated_at is None:
            assignment.escalated_at = now
            Event.objects.create(
                request=request,
                at=now,
                kind="escalated",
                actor="system",
                message=f"Overdue: {assignment.responder_name} ({assignment.get_action_display()}) "
                f"was due {context['due']}. Escalated to the privacy staff.",
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
            Event.objects.create(
                request=request,
                at=now,
                kind="reminder",
                actor="system",
                message=f"Reminder sent to {assignment.responder_name}: due in {days} days.",
            )
            queue_to_each(
                handler_emails(request, assignment),
                key=f"{request.reference}:reminder:{assignment.pk}:{context['due']}:{days}",
                template="reminder",
                context={**context, "days": days, "link": responder_link},
                request=request,
            )
    assignment.next_action_at = next_reminder_at(assignment)
    assignment.save(update_fields=["escalated_at", "reminders_sent", "next_action_at"])


def expire_unverified(*, now: dt.datetime | None = None, batch: int = BATCH_SIZE) -> int:
    """Requests whose email was never confirmed expire, and their personal data is deleted."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            Request.objects.select_for_update(skip_locked=True).filter(
                status=Request.Status.SUBMITTED, received_at__lt=now - UNVERIFIED_RETENTION
            )[:batch]
        )
        for request in rows:
            request.status = Request.Status.EXPIRED
            request.closed_at = now
            request.next_action_at = None
            request.save(update_fields=["status", "closed_at", "next_action_at"])
            Event.objects.create(
                request=request,
                at=now,
                kind="expired",
                actor="system",
                message="The email address was never confirmed: the request expired.",
            )
            _erase_personal_data(request, now=now)
    return len(rows)


def purge_closed(*, now: dt.datetime | None = None, batch: int = BATCH_SIZE) -> int:
    """Closed requests lose their personal data after CLOSED_RETENTION; the audit trail stays."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            Request.objects.select_for_update(skip_locked=True).filter(
                status__in=Request.CLOSED_STATUSES, purged_at__isnull=True, closed_at__lt=now - CLOSED_RETENTION
            )[:batch]
        )
        for request in rows:
            _erase_personal_data(request, now=now)
    return len(rows)


def _erase_personal_data(request: Request, *, now: dt.datetime) -> None:
    """Blank what identifies the person; keep the dates, types, deadlines and timeline rows (redacted)."""
    Request.objects.filter(pk=request.pk).update(
        subject_name="",
        subject_email="",
        details="",
        agent_name="",
        customer_name="",
        customer_email="",
        email_digest="",
        purged_at=now,
    )
    request.events.exclude(kind__in=["deadlines"]).update(
        message="(redacted: personal data deleted)", data={}, redacted=True
    )
    OutgoingEmail.objects.filter(request=request).update(
        to="redacted@invalid", subject="(redacted)", body_text="", body_html=""
    )
    Event.objects.create(
        request=request,
        at=now,
        kind="purged",
        actor="system",
        message="Personal data deleted; the record of what was done and when is kept.",
    )


def reconcile(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Pick up anything stuck: unsent email, verified requests never routed. The database is the truth."""
    from .tasks import route_request_task, send_email_task

    now = now or timezone.now()
    counts = {"emails": 0, "stuck_sending": 0, "routes": 0}
    stuck = OutgoingEmail.objects.filter(
        status=OutgoingEmail.Status.SENDING, next_attempt_at__lt=now - STUCK_SENDING_AFTER
    )
    counts["stuck_sending"] = stuck.update(
        status=OutgoingEmail.Status.FAILED,
        last_error="The worker stopped while sending; whether it was delivered is unknown. Check before resending.",
    )
    waiting = OutgoingEmail.objects.filter(
        status__in=[OutgoingEmail.Status.QUEUED, OutgoingEmail.Status.AWAITING_RETRY],
        next_attempt_at__lte=now - STUCK_AFTER,
    ).values_list("pk", flat=True)[:BATCH_SIZE]
    for pk in waiting:
        send_email_task.delay(pk)
        counts["emails"] += 1
    unrouted = Request.objects.filter(
        status=Request.Status.VERIFIED, verified_at__lte=now - STUCK_AFTER, pauses__isnull=True
    ).values_list("pk", flat=True)[:BATCH_SIZE]
    for pk in unrouted:
        route_request_task.delay(pk)
        counts["routes"] += 1
    return counts
