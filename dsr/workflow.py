"""State changes of a request after intake: routing, deadlines, pauses, extensions, answers, closing.

Each public function owns its transaction: it locks the request row, checks the transition, writes the
change, appends an `Event`, queues any email into the outbox, and defers the rest to commit. Deadlines
are never computed here: `apply_deadlines` asks dsr.deadlines and stores the answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation

from policies.laws import LawRules, parse_law
from policies.models import Law, PolicyVersion
from policies.services import response_promises

from . import deadlines as engine
from .intake import DomainError, notify_subject
from .models import Assignment, Event, Pause, Request
from .notifications import queue_email
from .routing import Plan, RequestFacts, plan_for
from .tokens import make_token

# Reminders to an assignee this many days before its due date; escalation to staff once it is overdue.
REMINDER_DAYS: tuple[int, ...] = (7, 2)
# Where no applicable law fixes a period (India's DPDP access rights, Singapore's "as soon as reasonably
# possible"), work still needs a date: the shortest common statutory period, named as a target, not a law.
INTERNAL_TARGET = dt.timedelta(days=30)


def law_entries(codes: Sequence[str]) -> dict[str, Any]:
    """The laws' entries as loaded now, {code: entry}, to keep with a request received now."""
    rows = dict(Law.objects.filter(code__in=codes).values_list("code", "data"))
    missing = [code for code in codes if code not in rows]
    if missing:
        raise engine.DeadlineError(f"Unknown law {', '.join(missing)}: run load_policies.")
    return {code: rows[code] for code in codes}


def law_rules(codes: Sequence[str], *, entries: dict[str, Any] | None = None) -> list[LawRules]:
    """The typed rules of these laws: from the entries kept with a request, else as loaded now.

    A request keeps the rules in force when it was received, so a later change to laws.yaml does not
    move the deadlines of requests already running when they are recomputed (pause, extension).
    """
    if entries is None or any(code not in entries for code in codes):
        entries = law_entries(codes)
    return [parse_law(entries[code], where="request") for code in codes]


def deadlines_for(
    version: PolicyVersion,
    *,
    law_codes: Sequence[str],
    request_type: str,
    received_at: dt.datetime,
    pauses: Sequence[engine.Pause] = (),
    extension: engine.ExtensionRequest | None = None,
    entries: dict[str, Any] | None = None,
) -> engine.DeadlineResult:
    """Ask the deadline engine about a request under one policy version (its promises, zone and country)."""
    promises = [engine.Promise.from_mapping(item) for item in response_promises(version)]
    return engine.compute_deadlines(
        law_rules(law_codes, entries=entries),
        request_type=request_type,
        received_at=received_at,
        timezone=version.timezone,
        country=version.country or None,
        promises=promises,
        pauses=pauses,
        extension=extension,
    )


def compute_for(
    request: Request,
    *,
    extension_on: dt.date | None = None,
    extended: bool | None = None,
) -> engine.DeadlineResult:
    """The deadlines of this request as it stands (or as it would be with the given extension)."""
    today = timezone.now().astimezone(ZoneInfo(request.policy_version.timezone)).date()
    pauses = [
        # An open pause counts up to today; resuming recomputes with its real end.
        engine.Pause(start=p.started_on, end=p.ended_on or max(today, p.started_on), kind=p.kind)  # type: ignore[arg-type]
        for p in request.pauses.all()
    ]
    return deadlines_for(
        request.policy_version,
        law_codes=request.law_codes,
        entries=request.law_entries,
        request_type=request.request_type,
        received_at=request.received_at,
        pauses=pauses,
        extension=engine.ExtensionRequest(
            taken=request.extended if extended is None else extended,
            announced_on=extension_on or request.extension_announced_on,
        ),
    )


def response_due_at(result: engine.DeadlineResult) -> tuple[dt.datetime, str]:
    """The date work is due: the strictest legal deadline, or an internal target where no law fixes one."""
    strictest = result.strictest
    if strictest is not None and strictest.due_at is not None:
        return strictest.due_at, strictest.explanation
    target = engine.end_of_day(result.received_on + INTERNAL_TARGET, ZoneInfo(result.timezone))
    return target, (
        f"No law that applies fixes a deadline for this request. The back office sets an internal target of "
        f"{INTERNAL_TARGET.days} days from receipt ({target.date().isoformat()}), so the request is not forgotten; "
        "answer as soon as reasonably possible."
    )


def apply_deadlines(request: Request, *, now: dt.datetime, reason: str, actor: str = "system") -> engine.DeadlineResult:
    """Recompute and store the request's deadlines (inside the caller's transaction), with an event."""
    result = compute_for(request)
    previous = request.due_at
    request.deadlines = result.as_dict()
    request.due_at, request.deadlines["summary"] = response_due_at(result)
    request.ack_due_at = result.acknowledgement.due_at if result.acknowledgement else None
    request.extension_notice_due_at = result.extension_notice.due_at if result.extension_notice else None
    request.next_action_at = request.due_at
    request.save(update_fields=["deadlines", "due_at", "ack_due_at", "extension_notice_due_at", "next_action_at"])
    if request.due_at != previous:
        # A new due date starts the reminders and the escalation over, counted from it.
        request.assignments.filter(status=Assignment.Status.OPEN).update(
            due_at=request.due_at, reminders_sent=[], escalated_at=None, next_action_at=None
        )
        _schedule_assignments(request)
    Event.objects.create(
        request=request,
        at=now,
        kind="deadlines",
        actor=actor,
        message=f"Deadlines computed ({reason}). " + deadline_summary(request),
        data={"due_at": request.due_at.isoformat() if request.due_at else None, "reason": reason},
        policy_version=request.policy_version,
    )
    return result


def due_date(request: Request) -> dt.date | None:
    """The response due date as the responder counts it (the local date of `due_at`)."""
    if request.due_at is None:
        return None
    return request.due_at.astimezone(ZoneInfo(request.policy_version.timezone)).date()


def deadline_summary(request: Request) -> str:
    return str((request.deadlines or {}).get("summary") or "The deadline is set once the email address is confirmed.")


def route_request_after_commit(request_id: int) -> None:
    from .tasks import route_request_task

    transaction.on_commit(lambda: route_request_task.delay(request_id))


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
        _schedule_assignments(request)
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
            _notify_assignee(request, assignment)
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


def _schedule_assignments(request: Request) -> None:
    """Set each open assignment's next reminder (dsr.sweeps reads it through a partial index)."""
    for assignment in request.assignments.filter(status=Assignment.Status.OPEN):
        assignment.next_action_at = next_reminder_at(assignment)
        assignment.save(update_fields=["next_action_at"])


def next_reminder_at(assignment: Assignment) -> dt.datetime | None:
    """When the sweep should next look at this assignment: the next reminder, else the moment it is overdue."""
    if assignment.status != Assignment.Status.OPEN:
        return None
    for days in REMINDER_DAYS:
        if days not in assignment.reminders_sent:
            return assignment.due_at - dt.timedelta(days=days)
    if assignment.escalated_at is None:
        return assignment.due_at
    return None


def staff_emails(request: Request) -> list[str]:
    """The vendor's staff team (active members with an address), else the shared DSR_STAFF_EMAIL."""
    team = (
        get_user_model()
        .objects.filter(dsr_memberships__vendor_id=request.vendor_id, is_active=True)
        .exclude(email="")
        .order_by("email")
        .values_list("email", flat=True)
    )
    return list(team) or [str(settings.DSR_STAFF_EMAIL)]


def handler_emails(request: Request, assignment: Assignment) -> list[str]:
    """Who gets an assignment's emails: the responder if it has an address, else the vendor's privacy
    contact (it instructs recipients the policy gives no address for), else the vendor's staff team."""
    if assignment.responder_email:
        return [assignment.responder_email]
    if assignment.responder_kind == Assignment.ResponderKind.SUB_PROCESSOR:
        contact = request.policy_version.contact("privacy") or request.policy_version.contact("dpo")
        if contact is not None:
            return [contact.email]
    return staff_emails(request)


def queue_to_each(addresses: list[str], *, key: str, **email: Any) -> None:
    """One outbox row per address; the first keeps the plain key so existing keys stay stable."""
    for i, address in enumerate(addresses):
        queue_email(key=key if i == 0 else f"{key}:{address}", to=address, **email)


def _notify_assignee(request: Request, assignment: Assignment) -> None:
    context: dict[str, Any] = {
        "reference": request.reference,
        "vendor": request.vendor.name,
        "request_type": request.get_request_type_display(),
        "relationship": request.get_relationship_display(),
        "action": assignment.get_action_display(),
        "responder": assignment.responder_name,
        "due": day.isoformat() if (day := due_date(request)) else "",
        "explanation": assignment.explanation,
        "citations": assignment.citations,
        "policy_gap": assignment.policy_gap,
        "deadline_summary": deadline_summary(request),
        "link": f"/respond/{make_token('responder', request.reference, assignment_id=assignment.pk)}/",
    }
    queue_to_each(
        handler_emails(request, assignment),
        key=f"{request.reference}:assignment:{assignment.pk}",
        template="assignment",
        context=context,
        language="en",
        request=request,
    )


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
        if on < request.received_at.astimezone(ZoneInfo(request.policy_version.timezone)).date():
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
            compute_for(request, extended=True, extension_on=announced_on)
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
        notify_subject(request, "withdrawn", "withdrawn")
        for assignment in request.assignments.exclude(responder_email=""):
            queue_email(
                key=f"{request.reference}:withdrawn:{assignment.pk}",
                to=assignment.responder_email,
                template="assignment_withdrawn",
                context={
                    "reference": request.reference,
                    "vendor": request.vendor.name,
                    "responder": assignment.responder_name,
                },
                language="en",
                request=request,
            )
    return request
