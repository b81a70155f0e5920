"""State changes of a request after intake: routing, deadlines, pauses, extensions, answers, closing.

Each public function owns its transaction: it locks the request row, checks the transition, writes the
change, appends an `Event`, queues any email into the outbox, and defers the rest to commit. Deadlines
are never computed here: `apply_deadlines` asks dsr.deadlines and stores the answer.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone, translation

from ..engine import deadlines as engine
from ..engine.routing import Plan, RequestFacts, plan_for
from ..models import Assignment, Event, Pause, Request
from .errors import DomainError
from .notices import notify_assignee, notify_subject, notify_withdrawn
from .schedule import apply_deadlines, compute_for, local_date, schedule_assignments


def route_request(request_id: int, *, now: dt.datetime | None = None) -> Request:
    """Make the routing plan of a verified request and notify the responders. Running it twice makes one plan."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        request = Request.objects.select_for_update().select_related("vendor", "policy_version").get(pk=request_id)
        if request.status != Request.Status.VERIFIED:
            return request  # already routed, or closed meanwhile: nothing to do
        plan = make_plan(request)
        for planned in plan.assignments:
            Assignment.objects.get_or_create(
                request=request,
                responder_kind=planned.responder_kind,
                responder_name=planned.responder_name,
                action=planned.action,
                defaults={
                    "responder_email": planned.responder_email,
                    "categories": list(planned.categories),
                    "due_at": planned.due_at,
                    "explanation": planned.explanation,
                    "citations": [{"fact": c.fact, "passage": c.passage} for c in planned.citations],
                    "partial": planned.partial,
                    "policy_gap": planned.policy_gap,
                },
            )
        schedule_assignments(request)
        request.status = Request.Status.IN_PROGRESS
        request.save(update_fields=["status"])
        Event.objects.create(
            request=request,
            at=now,
            kind="routed",
            actor="system",
            message="Routed: " + "; ".join(f"{a.responder_name} — {a.action}" for a in plan.assignments),
            data={"assignments": len(plan.assignments), "notes": list(plan.subject_notes)},
            policy_version=request.policy_version,
        )
        for assignment in request.assignments.all():
            notify_assignee(request, assignment)
        notify_subject(request, "routed", "routed", notes=list(plan.subject_notes))
    return request


def make_plan(request: Request) -> Plan:
    if request.due_at is None:
        raise DomainError("The request has no deadline yet: confirm the email first.")
    facts = RequestFacts(
        request_type=request.request_type,
        relationship=request.relationship,
        country=request.country,
        state=request.state,
        customer_name=request.customer_name,
        customer_email=request.customer_email,
        agent_name=request.agent_name,
    )
    with translation.override(request.language):  # the notes for the person, in their language
        return plan_for(request.policy_version.document, facts, due_at=request.due_at)


def _lock(request_id: int) -> Request:
    return Request.objects.select_for_update().select_related("vendor", "policy_version").get(pk=request_id)


def pause_request(
    request: Request, *, kind: str, on: dt.date, reason: str, actor: str, now: dt.datetime | None = None
) -> Request:
    """The request waits on the person (identity, clarification). The law decides whether the clock stops."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        request = _lock(request.pk)
        if request.status not in (Request.Status.VERIFIED, Request.Status.IN_PROGRESS):
            raise DomainError(f"A request that is {request.get_status_display().lower()} cannot be paused.")
        if kind not in Pause.Kind.values:
            raise DomainError(f"Unknown pause kind {kind!r}.")
        last = request.pauses.order_by("-started_on").first()
        if last and last.ended_on and on < last.ended_on:
            raise DomainError("A pause cannot start before the previous one ended.")
        if on < local_date(request, request.received_at):
            raise DomainError("A pause cannot start before the request was received.")
        Pause.objects.create(request=request, kind=kind, started_on=on, reason=reason)
        request.status = Request.Status.AWAITING_SUBJECT
        request.save(update_fields=["status"])
        Event.objects.create(
            request=request,
            at=now,
            kind="paused",
            actor=actor,
            message=f"Waiting for the person ({Pause.Kind(kind).label.lower()}) from {on}: {reason}",
        )
        apply_deadlines(request, now=now, reason=f"paused for {kind}", actor=actor)
        notify_subject(request, "info_needed", f"info-needed:{request.pauses.count()}", kind=kind, reason=reason)
    return request


def resume_request(request: Request, *, on: dt.date, actor: str, now: dt.datetime | None = None) -> Request:
    """The person answered: the pause ends and the deadlines are recomputed."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        request = _lock(request.pk)
        pause = request.pauses.filter(ended_on__isnull=True).first()
        if request.status != Request.Status.AWAITING_SUBJECT or pause is None:
            raise DomainError("The request is not waiting for the person.")
        if on < pause.started_on:
            raise DomainError(f"The pause started on {pause.started_on}; it cannot end before that.")
        pause.ended_on = on
        pause.save(update_fields=["ended_on"])
        request.status = Request.Status.IN_PROGRESS if request.assignments.exists() else Request.Status.VERIFIED
        request.save(update_fields=["status"])
        Event.objects.create(
            request=request,
            at=now,
            kind="resumed",
            actor=actor,
            message=f"The person answered on {on}; the pause from {pause.started_on} ended.",
        )
        apply_deadlines(request, now=now, reason="pause ended", actor=actor)
    if request.status == Request.Status.VERIFIED:
        route_request(request.pk, now=now)
    return request


def extend_request(
    request: Request, *, announced_on: dt.date, reason: str, actor: str, now: dt.datetime | None = None
) -> Request:
    """Extend the deadline where the law allows it; refused if announced too late or without reasons."""
    now = now or timezone.now()
    if not reason.strip():
        raise DomainError("An extension needs the reasons the person will be told.")
    with transaction.atomic(durable=True):
        request = _lock(request.pk)
        if not request.is_open:
            raise DomainError(f"A request that is {request.get_status_display().lower()} cannot be extended.")
        if request.extended:
            raise DomainError("The deadline was already extended once.")
        try:
            compute_for(request, now=now, extended=True, extension_on=announced_on)
        except engine.DeadlineError as exc:
            raise DomainError(str(exc)) from None
        request.extended = True
        request.extension_announced_on = announced_on
        request.extension_reason = reason
        request.save(update_fields=["extended", "extension_announced_on", "extension_reason"])
        Event.objects.create(
            request=request,
            at=now,
            kind="extended",
            actor=actor,
            message=f"Deadline extended, announced on {announced_on}: {reason}",
        )
        apply_deadlines(request, now=now, reason="extension", actor=actor)
        notify_subject(request, "extended", "extended", reason=reason)
    return request


def complete_assignment(
    assignment: Assignment, *, outcome: str, actor: str, now: dt.datetime | None = None
) -> Assignment:
    """A responder confirms what it did. The request closes itself once every assignment is done."""
    now = now or timezone.now()
    if not outcome.strip():
        raise DomainError("Say what was done.")
    with transaction.atomic(durable=True):
        request = _lock(assignment.request_id)
        assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if assignment.status != Assignment.Status.OPEN:
            return assignment
        assignment.status = Assignment.Status.DONE
        assignment.completed_at = now
        assignment.outcome = outcome
        assignment.next_action_at = None
        assignment.save(update_fields=["status", "completed_at", "outcome", "next_action_at"])
        Event.objects.create(
            request=request,
            at=now,
            kind="assignment_done",
            actor=actor,
            message=f"{assignment.responder_name} ({assignment.get_action_display()}): {outcome}",
            data={"assignment": assignment.pk},
        )
        if request.is_open and not request.assignments.filter(status=Assignment.Status.OPEN).exists():
            partial = request.assignments.filter(partial=True).exists()
            _close(
                request,
                status=Request.Status.PARTIALLY_COMPLETED if partial else Request.Status.COMPLETED,
                message=outcome,
                actor=actor,
                now=now,
            )
    return assignment


def close_request(
    request: Request, *, status: str, message: str, actor: str, now: dt.datetime | None = None
) -> Request:
    """Staff answer the request: completed, partially completed (with reasons) or rejected (with reasons)."""
    now = now or timezone.now()
    allowed = (Request.Status.COMPLETED, Request.Status.PARTIALLY_COMPLETED, Request.Status.REJECTED)
    if status not in allowed:
        raise DomainError(f"A request can only be closed as {', '.join(allowed)}.")
    if status != Request.Status.COMPLETED and not message.strip():
        raise DomainError("The person must be told the reasons.")
    with transaction.atomic(durable=True):
        request = _lock(request.pk)
        if not request.is_open:
            raise DomainError(f"The request is already {request.get_status_display().lower()}.")
        _close(request, status=status, message=message, actor=actor, now=now)
    return request


def _close(request: Request, *, status: str, message: str, actor: str, now: dt.datetime) -> None:
    request.status = status
    request.closed_at = now
    request.next_action_at = None
    request.save(update_fields=["status", "closed_at", "next_action_at"])
    request.assignments.filter(status=Assignment.Status.OPEN).update(
        status=Assignment.Status.NOT_APPLICABLE, next_action_at=None
    )
    Event.objects.create(request=request, at=now, kind=status, actor=actor, message=message or "Request answered.")
    version = request.policy_version
    notify_subject(
        request,
        "rejected" if status == Request.Status.REJECTED else "completed",
        "closed",
        status=request.get_status_display(),
        partial=status == Request.Status.PARTIALLY_COMPLETED,
        message=message,
        authority=version.authority_name,
        authority_website=version.authority_website,
    )


def withdraw_request(request: Request, *, now: dt.datetime | None = None) -> Request:
    """The person withdraws the request (any time before it is answered)."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        request = _lock(request.pk)
        if request.status in Request.CLOSED_STATUSES:
            raise DomainError(f"The request is already {request.get_status_display().lower()}.")
        request.status = Request.Status.WITHDRAWN
        request.closed_at = now
        request.next_action_at = None
        request.save(update_fields=["status", "closed_at", "next_action_at"])
        request.assignments.filter(status=Assignment.Status.OPEN).update(
            status=Assignment.Status.NOT_APPLICABLE, next_action_at=None
        )
        Event.objects.create(
            request=request, at=now, kind="withdrawn", actor="subject", message="The person withdrew the request."
        )
        notify_withdrawn(request)
    return request


def expire(request: Request, *, now: dt.datetime) -> None:
    """The email was never confirmed in time: the request expires. The caller holds the row lock."""
    if request.status != Request.Status.SUBMITTED:
        raise DomainError(f"A request that is {request.get_status_display().lower()} cannot expire.")
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
