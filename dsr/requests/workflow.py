"""State changes of a request after intake: routing, pauses, extensions, answers, closing, withdrawal.

Each public function takes the acting `Actor` and `now`, owns its transaction, locks the request row
(that row only), checks the change against the transition table (dsr.requests.transitions), writes it,
appends timeline events, queues any email into the outbox, and defers the rest to commit. Deadlines
are never computed here: dsr.requests.schedule asks the engine and stores the answer.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import translation
from django.utils.text import get_valid_filename

from policies import vocabulary

from .. import bulk
from ..engine import deadlines as engine
from ..engine import identity as engine_identity
from ..engine.identity import IdentityRequirement
from ..engine.routing import Plan, RecipientDuty, RequestFacts, plan_for
from ..models import Answer, Assignment, Attachment, Package, Pause, Request, StaffMembership
from ..outbox.emails import queue_many
from ..packages import letter
from ..packages import services as packages
from ..security import ratelimit
from . import answers, transitions
from .errors import DomainError
from .notices import (
    appeal_denial_complaints,
    assignee_notices,
    contact_emails_by_version,
    notify_assignee,
    notify_subject,
    notify_withdrawn,
    staff_emails_by_vendor,
    subject_context,
    subject_notice,
)
from .schedule import (
    RECIPIENT_ACTIONS,
    apply_deadlines,
    assist_due_at,
    can_extend,
    compute_for,
    local_date,
    next_reminder_at,
    recipients_basis,
    recipients_due_at,
    record_deadlines,
    request_law_rules,
    schedule_assignments,
    store_deadlines,
)
from .signals import deadline_extended
from .timeline import AGENT, SUBJECT, SYSTEM, Actor, Step, record, record_many

__all__ = ["request_law_rules"]


def lock(**lookup: object) -> Request:
    """The request (e.g. `lock(pk=1)`), its row locked until the transaction ends. `of=self`: never the
    vendor or policy-version rows, which every request of a vendor shares."""
    return Request.objects.select_for_update(of=("self",)).select_related("vendor", "policy_version").get(**lookup)


def name_key(name: str) -> str:
    """A name as compared to tell people apart: compatibility forms folded, case and spacing ignored."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def same_person(a: Request, b: Request) -> bool:
    """Whether two requests from one address are the same person asking through the same hands.

    One mailbox is not one person: an agent files for several clients, a family shares an address. The
    subject, the agent (or none) and the business named as controller must all match, else each request
    is answered on its own. A request filed on an agent's or a client's attestation carries the agent's
    address, which tells no person apart: it is joined only where the agent's account of the person (their
    identifiers, in the details) is the same and not empty; two people of one name stay two requests.
    """
    if a.authority_method in ATTESTATION_METHODS or b.authority_method in ATTESTATION_METHODS:
        account = a.details.strip()
        if not account or account != b.details.strip():
            return False
    return all(
        name_key(getattr(a, field)) == name_key(getattr(b, field))
        for field in ("subject_name", "agent_name", "customer_name")
    )


def route_request(request_id: int, *, now: dt.datetime, actor: Actor = SYSTEM) -> Request:
    """Make the routing plan of a verified request and notify the responders. Running it twice makes one plan."""
    with transaction.atomic(durable=True):
        request = lock(pk=request_id)
        if not transitions.is_allowed("route", request.status):
            return request  # already routed, or closed meanwhile: nothing to do
        transitions.check("route", request.status, actor)
        plan = make_plan(request)
        for planned in plan.assignments:
            fields = _assignment_fields(request, planned)
            identity = {name: fields.pop(name) for name in ("responder_kind", "responder_name", "action")}
            Assignment.objects.get_or_create(request=request, **identity, defaults=fields)
        schedule_assignments(request)
        request.status = Request.Status.IN_PROGRESS
        request.save(update_fields=["status"])
        record(
            request,
            "routed",
            "Routed: " + "; ".join(f"{a.responder_name} — {a.action}" for a in plan.assignments),
            actor=actor,
            now=now,
            data={"assignments": len(plan.assignments), "notes": list(plan.subject_notes)},
            policy_version=request.policy_version,
        )
        for assignment in request.assignments.all():
            notify_assignee(request, assignment)
        notify_subject(request, "routed", "routed", notes=list(plan.subject_notes))
    return request


def route_many(request_ids: Sequence[int], *, now: dt.datetime, actor: Actor = SYSTEM) -> list[Request]:
    """Route requests filed together (an API batch), in one transaction: for each, what `route_request`
    makes (the plan's assignments with their reminders, the status, the event and its announcement, the
    responders' and the person's emails), written set-wise. Those already routed or closed are left as
    they are. Returns the requests routed now."""
    with transaction.atomic(durable=True):
        requests = [
            request
            for request in Request.objects.select_for_update(of=("self",))
            .select_related("vendor", "policy_version")
            # The policy's file (tens of kB of JSON) is parsed once a process (PolicyVersion.policy), not read
            # again for each request.
            .defer("policy_version__document")
            .filter(pk__in=list(request_ids))
            .order_by("pk")
            if transitions.is_allowed("route", request.status)
        ]
        plans: dict[int, Plan] = {}
        assignments: list[Assignment] = []
        for request in requests:
            transitions.check("route", request.status, actor)
            plans[request.pk] = plan = make_plan(request)
            made = set()
            for planned in plan.assignments:
                once = (planned.responder_kind, planned.responder_name, planned.action)
                if once in made:  # as route_request's get_or_create: one task per responder and action
                    continue
                made.add(once)
                assignment = Assignment(request=request, **_assignment_fields(request, planned))
                assignment.next_action_at = next_reminder_at(assignment)
                assignments.append(assignment)
        bulk.insert(Assignment, assignments)
        steps = []
        for request in requests:
            request.status = Request.Status.IN_PROGRESS
            plan = plans[request.pk]
            steps.append(
                Step(
                    request,
                    "routed",
                    "Routed: " + "; ".join(f"{a.responder_name} — {a.action}" for a in plan.assignments),
                    data={"assignments": len(plan.assignments), "notes": list(plan.subject_notes)},
                    policy_version=request.policy_version,
                )
            )
        # The new status is written with the chain's new heads: one UPDATE of each request row, not two.
        record_many(steps, actor=actor, now=now, announce=True, also=["status"])
        staff = staff_emails_by_vendor({r.vendor_id for r in requests})
        contacts = contact_emails_by_version({r.policy_version_id for r in requests})
        by_request: dict[int, list[Assignment]] = {}
        for assignment in assignments:
            by_request.setdefault(assignment.request_id, []).append(assignment)
        emails = []
        for request in requests:
            for assignment in sorted(by_request.get(request.pk, []), key=lambda a: a.pk):
                emails += assignee_notices(request, assignment, staff=staff[request.vendor_id], contacts=contacts)
            emails.append(subject_notice(request, "routed", "routed", notes=list(plans[request.pk].subject_notes)))
        queue_many(emails)
    return requests


def _assignment_fields(request: Request, planned: Any) -> dict[str, Any]:
    """An assignment of the routing plan as stored (route_request and route_many)."""
    explanation = planned.explanation
    forward = (request.deadlines or {}).get("forward")
    recipients = (request.deadlines or {}).get("recipients")
    if planned.action == Assignment.Action.ASSIST_CONTROLLER and forward:
        explanation += "\n" + forward["explanation"]
    if planned.action in RECIPIENT_ACTIONS and recipients:
        explanation += "\n" + recipients["explanation"]
    return {
        "responder_kind": planned.responder_kind,
        "responder_name": planned.responder_name,
        "action": planned.action,
        "responder_email": planned.responder_email,
        "categories": list(planned.categories),
        "due_at": planned.due_at,
        "explanation": explanation,
        "citations": [{"fact": c.fact, "passage": c.passage} for c in planned.citations],
        "partial": planned.partial,
        "policy_gap": planned.policy_gap,
        # The requester typed this controller's address: a hint, approved by staff before use.
        "contact_approved": not (
            planned.responder_kind == Assignment.ResponderKind.CUSTOMER and planned.responder_email
        ),
    }


def make_plan(request: Request) -> Plan:
    if request.due_at is None:
        raise DomainError("The request has no deadline yet: confirm the email first.")
    facts = RequestFacts(
        request_type=request.request_type,
        relationships=tuple(request.relationships),
        country=request.country,
        state=request.state,
        customer_name=request.customer_name,
        customer_email=request.customer_email,
        agent_name=request.agent_name,
    )
    fees = {law.code: law.fee.text for law in request_law_rules(request)}
    with translation.override(request.language):  # the notes for the person, in their language
        return plan_for(
            request.policy_version.policy,
            facts,
            due_at=request.due_at,
            assist_due_at=assist_due_at(request),
            recipients=RecipientDuty(due_at=recipients_due_at(request), basis=recipients_basis(request)),
            fee_rules=fees,
        )


def pause_request(request: Request, *, kind: str, on: dt.date, reason: str, actor: Actor, now: dt.datetime) -> Request:
    """The request waits on the person (identity, clarification). The law decides whether the clock stops."""
    with transaction.atomic(durable=True):
        request = lock(pk=request.pk)
        transitions.check("pause", request.status, actor)
        if kind not in Pause.Kind.values:
            raise DomainError(f"Unknown pause kind {kind!r}.")
        last = request.pauses.order_by("-started_on").first()
        if last and last.ended_on and on < last.ended_on:
            raise DomainError("A pause cannot start before the previous one ended.")
        if on < local_date(request, request.received_at):
            raise DomainError("A pause cannot start before the request was received.")
        _not_in_the_future(request, on, now=now, what="The person cannot have been asked")
        Pause.objects.create(request=request, kind=kind, started_on=on, reason=reason)
        request.status = Request.Status.AWAITING_SUBJECT
        request.save(update_fields=["status"])
        store_deadlines(request, now=now)  # before the event announcing the change: its callbacks give them
        record(
            request,
            "paused",
            f"Waiting for the person ({Pause.Kind(kind).label.lower()}) from {on}: {reason}"
            + _recorded(on, now=now, request=request),
            actor=actor,
            now=now,
            data={"on": on.isoformat(), "recorded_at": now.isoformat()},
        )
        record_deadlines(request, now=now, reason=f"paused for {kind}", actor=actor)
        notify_subject(request, "info_needed", f"info-needed:{request.pauses.count()}", kind=kind, reason=reason)
    return request


def resume_request(request: Request, *, on: dt.date, actor: Actor, now: dt.datetime) -> Request:
    """The person answered: the pause ends and the deadlines are recomputed."""
    with transaction.atomic(durable=True):
        request = lock(pk=request.pk)
        transitions.check("resume", request.status, actor)
        pause = request.pauses.filter(ended_on__isnull=True).first()
        if pause is None:
            raise DomainError("The request is not waiting for the person.")
        if on < pause.started_on:
            raise DomainError(f"The pause started on {pause.started_on}; it cannot end before that.")
        _not_in_the_future(request, on, now=now, what="The person cannot have answered")
        pause.ended_on = on
        pause.save(update_fields=["ended_on"])
        request.status = _status_after_pause(request)
        request.save(update_fields=["status"])
        store_deadlines(request, now=now)  # before the event announcing the change: its callbacks give them
        record(
            request,
            "resumed",
            f"The person answered on {on}; the pause from {pause.started_on} ended."
            + _recorded(on, now=now, request=request),
            actor=actor,
            now=now,
            data={"on": on.isoformat(), "recorded_at": now.isoformat()},
        )
        record_deadlines(request, now=now, reason="pause ended", actor=actor)
    if request.status == Request.Status.VERIFIED:
        route_request(request.pk, now=now)
    return request


def _status_after_pause(request: Request) -> str:
    """Unrouted, still worked by responders, or, once every responder has answered, waiting for approval."""
    if not request.assignments.exists():
        return Request.Status.VERIFIED
    if request.assignments.filter(status=Assignment.Status.OPEN).exists():
        return Request.Status.IN_PROGRESS
    return Request.Status.AWAITING_APPROVAL


def extend_request(request: Request, *, reason: str, actor: Actor, now: dt.datetime) -> Request:
    """Extend the deadline where the law allows it; refused if announced too late or without reasons.

    The extension is announced by the email this sends, so its announcement date is today (the
    responder's day of `now`): never a date typed by staff, which could make a late notice look on time.
    """
    if not reason.strip():
        raise DomainError("An extension needs the reasons the person will be told.")
    with transaction.atomic(durable=True):
        request = lock(pk=request.pk)
        transitions.check("extend", request.status, actor)
        announced_on = local_date(request, now)
        if request.extended:
            raise DomainError("The deadline was already extended once.")
        if not can_extend(request):
            raise DomainError(
                f"No law of this request ({', '.join(request.law_codes) or 'none'}) lets the deadline of "
                f"a {request.get_request_type_display().lower()} request be extended: answer it in time."
            )
        try:
            compute_for(request, now=now, extended=True, extension_on=announced_on)
        except engine.DeadlineError as exc:
            raise DomainError(str(exc)) from None
        old_due_at = request.due_at
        request.extended = True
        request.extension_announced_on = announced_on
        request.extension_reason = reason
        request.save(update_fields=["extended", "extension_announced_on", "extension_reason"])
        event = record(
            request, "extended", f"Deadline extended, announced on {announced_on}: {reason}", actor=actor, now=now
        )
        apply_deadlines(request, now=now, reason="extension", actor=actor)
        deadline_extended.send(sender=Request, request=request, old_due_at=old_due_at, event=event, now=now)
        notify_subject(request, "extended", "extended", reason=reason)
    return request


def _not_in_the_future(request: Request, on: dt.date, *, now: dt.datetime, what: str) -> None:
    """Refuse a date staff enter that is after today (in the responder's time zone)."""
    today = local_date(request, now)
    if on > today:
        raise DomainError(f"{what} on {on:%d %b %Y}: that is after today ({today:%d %b %Y}).")


def _recorded(on: dt.date, *, now: dt.datetime, request: Request) -> str:
    """The real time of the action, beside the date it names when that is another day."""
    return "" if on == local_date(request, now) else f" (Recorded on {now:%d %b %Y %H:%M %Z}.)"


def complete_assignment(assignment: Assignment, *, outcome: str, actor: Actor, now: dt.datetime) -> Assignment:
    """A responder confirms what it did: its answer becomes a part of the draft answer (dsr.requests.answers).

    Nothing goes to the person here. Once every assignment is done the draft waits for a team lead's approval
    (`approve_answer`), which sends the whole answer; during a pause it waits until the person has answered.
    """
    if not outcome.strip():
        raise DomainError("Say what was done.")
    with transaction.atomic(durable=True):
        request = lock(pk=assignment.request_id)
        assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if assignment.status != Assignment.Status.OPEN:
            return assignment
        transitions.check("complete_assignment", request.status, actor)
        assignment.status = Assignment.Status.DONE
        assignment.completed_at = now
        assignment.outcome = outcome
        assignment.next_action_at = None
        assignment.save(update_fields=["status", "completed_at", "outcome", "next_action_at"])
        answer, _ = Answer.objects.get_or_create(request=request, defaults={"created_at": now})
        part = answers.new_part(answer, assignment, text=outcome, now=now)
        kept = "; ".join(k["records"] for k in part.kept)
        record(
            request,
            "assignment_done",
            f"Part of the answer received from {assignment.responder_name} ({assignment.get_action_display()}): "
            f"{outcome}" + (f" Kept under a legal obligation: {kept}." if kept else ""),
            actor=actor,
            now=now,
            data={"assignment": assignment.pk, "part": part.pk, "partial": part.partial},
        )
        if not request.assignments.filter(status=Assignment.Status.OPEN).exists():
            _answer_ready(request, actor=actor, now=now)
    return assignment


def record_recipients_told(assignment: Assignment, *, told: str, actor: Actor, now: dt.datetime) -> Assignment:
    """Staff close a task to pass the request on to the data's recipients, saying whom they told (and how,
    or why one could not be told): on the timeline, and a part of the answer, since the person may ask
    which recipients were told (GDPR Art 19)."""
    if assignment.action not in RECIPIENT_ACTIONS:
        raise DomainError("Only a task to tell the recipients is closed this way.")
    told = told.strip()
    if not told:
        raise DomainError("Say whom you told (each recipient, and how), or why one could not be told.")
    return complete_assignment(assignment, outcome=f"Recipients told: {told}", actor=actor, now=now)


def _answer_ready(request: Request, *, actor: Actor, now: dt.datetime) -> None:
    """Every responder has answered: the draft waits for a team lead (after the person, during a pause)."""
    if request.status == Request.Status.IN_PROGRESS:
        request.status = Request.Status.AWAITING_APPROVAL
        request.save(update_fields=["status"])
    missing = disclosure_missing(request)
    parts = request.answer.parts.count()
    record(
        request,
        "answer_ready",
        f"Every responder has answered: the answer ({parts} part{'s' if parts != 1 else ''}) waits for a team "
        "lead's approval"
        + (" once the person has answered" if request.status == Request.Status.AWAITING_SUBJECT else "")
        + (", and for " + " and ".join(missing) + " to be recorded" if missing else "")
        + ".",
        actor=actor,
        now=now,
        data={"parts": parts, "missing": missing},
    )


EDIT_MAX_LENGTH = 20_000


def edit_answer(
    request: Request,
    *,
    parts: Mapping[int, str] | None = None,
    cover: str | None = None,
    actor: Actor,
    now: dt.datetime,
) -> Request:
    """Staff edit the draft answer before it goes out: the text of parts (by part id) and the cover text.

    Each changed text is one timeline event naming who edited it, with the text before and after; the
    responder's own words stay on its assignment. Texts left as they were are not recorded.
    """
    with transaction.atomic(durable=True):
        request = lock(pk=request.pk)
        transitions.check("edit_answer", request.status, actor)
        answer, _ = Answer.objects.select_for_update().get_or_create(request=request, defaults={"created_at": now})
        by_id = {part.pk: part for part in answer.parts.select_for_update().select_related("assignment")}
        changed = 0
        for part_id, text in (parts or {}).items():
            part = by_id.get(part_id)
            if part is None:
                raise DomainError("That part is not in this request's answer.")
            text = text.strip()
            if not text:
                raise DomainError(f"The part of {part.assignment.responder_name} cannot be empty: say what was done.")
            if len(text) > EDIT_MAX_LENGTH:
                raise DomainError(f"A part has at most {EDIT_MAX_LENGTH:,} characters.")
            if text == part.text:
                continue
            before, part.text, part.edited_at, part.edited_by_label = part.text, text, now, actor.label
            part.save(update_fields=["text", "edited_at", "edited_by_label"])
            record(
                request,
                "answer_edited",
                f"{actor.label} edited the part of {part.assignment.responder_name}: {text}",
                actor=actor,
                now=now,
                data={"part": part.pk, "before": before, "after": text},
            )
            changed += 1
        if cover is not None and cover.strip() != answer.cover:
            if len(cover) > EDIT_MAX_LENGTH:
                raise DomainError(f"The cover text has at most {EDIT_MAX_LENGTH:,} characters.")
            before, answer.cover = answer.cover, cover.strip()
            answer.save(update_fields=["cover"])
            record(
                request,
                "answer_edited",
                f"{actor.label} edited the cover text: {answer.cover or '(none)'}",
                actor=actor,
                now=now,
                data={"cover": True, "before": before, "after": answer.cover},
            )
            changed += 1
        if not changed:
            raise DomainError("Nothing was changed.")
    return request


def approve_answer(request: Request, *, actor: Actor, now: dt.datetime) -> Request:
    """A team lead approves the draft: the person is sent the whole answer, every part, in one email.

    Completed, or partially completed where a part keeps records under a legal obligation (each with the
    reason and the policy's passage) or staff closed it so. Refused before identity (and an agent's
    authority) is recorded.
    """
    with transaction.atomic(durable=True):
        request = lock(pk=request.pk)
        transitions.check("approve_answer", request.status, actor)
        _refuse_undisclosable(request)
        answer = Answer.objects.select_for_update().filter(request=request).first()
        if answer is None:
            raise DomainError("There is no answer to approve.")
        parts = answers.parts_of(request)
        answer.approved_at, answer.approved_by_id, answer.approved_by_label = now, actor.user_id, actor.label
        answer.save(update_fields=["approved_at", "approved_by", "approved_by_label"])
        record(
            request,
            "answer_approved",
            f"Answer approved by {actor.label}: sent to the person with {len(parts)} "
            f"part{'s' if len(parts) != 1 else ''}.",
            actor=actor,
            now=now,
            data={"parts": [part.pk for part in parts]},
        )
        partial = answers.is_partial(answer, parts)
        _close(
            request,
            status=Request.Status.PARTIALLY_COMPLETED if partial else Request.Status.COMPLETED,
            message=answer.cover,
            actor=actor,
            now=now,
            data={"parts": len(parts), "approved_by": actor.label},
            parts=answers.email_parts(request, parts),
        )
    return request


def _refuse_undisclosable(request: Request) -> None:
    missing = disclosure_missing(request)
    if missing:
        raise DomainError(
            "Nothing is answered before " + " and ".join(missing) + " is recorded. "
            "Record it, ask the person for more information, or refuse the request as unverifiable."
        )


def identity_requirement(request: Request) -> IdentityRequirement:
    """What the laws of this request ask of the identity check (strictest wins)."""
    return engine_identity.identity_requirement(request_law_rules(request), request.request_type)


def disclosure_missing(request: Request) -> list[str]:
    """What must still be recorded before an answer that discloses or changes data goes to the person."""
    missing = []
    if request.identity_checked_at is None and identity_requirement(request).gated:
        missing.append("the identity check")
    if request.agent_name and request.authority_recorded_at is None and request.request_type != "opt_out":
        missing.append("the agent's authority")
    return missing


def record_identity(request: Request, *, method: str, note: str, actor: Actor, now: dt.datetime) -> Request:
    """Staff record how they made sure who asks (the level the laws ask for is shown beside the form)."""
    return _record_check(request, check=IDENTITY_CHECK, method=method, note=note, actor=actor, now=now)


def record_authority(request: Request, *, method: str, note: str, actor: Actor, now: dt.datetime) -> Request:
    """Staff record the authorised agent's authority: a signed permission, or the person's own confirmation."""
    return _record_check(request, check=AUTHORITY_CHECK, method=method, note=note, actor=actor, now=now)


def attest_authority(request: Request, *, attestation: str, actor: Actor, now: dt.datetime) -> Request:
    """An agent's API client attests its authority for a request it files (see `attest_in`)."""
    with transaction.atomic(durable=True):
        request = lock(pk=request.pk)
        attest_in(request, attestation=attestation, actor=actor, now=now)
    return request


# How a registered program attests an agent's authority: an API client (api/), or an agent's request signed
# with the key staff registered for it (the Data Rights Protocol, api.drp).
ATTESTATION_METHODS = ("client_attestation", *vocabulary.ATTESTED_AUTHORITY_METHODS)


def attest_in(
    request: Request, *, attestation: str, actor: Actor, now: dt.datetime, method: str = "client_attestation"
) -> None:
    """Record the agent's authority as its API client (or its signed protocol request) attests it (inside the
    caller's transaction).

    Only at filing (the request is still submitted), only for a request filed by an agent, once. The
    attestation is the authority event the identity/authority gate (`disclosure_missing`) reads: nothing
    that discloses data goes out before it, nor before staff record the identity check the laws ask for.
    """
    if method not in ATTESTATION_METHODS:
        raise DomainError(f"An attestation is one of {', '.join(ATTESTATION_METHODS)}.")
    transitions.check("attest_authority", request.status, actor)
    if not request.agent_name:
        raise DomainError("This request was filed by the person, not by an agent.")
    if request.authority_recorded_at is not None:
        raise DomainError(AUTHORITY_CHECK.already)
    if not attestation.strip():
        raise DomainError("Say what the agent attests (for example: it holds the person's signed permission).")
    request.authority_recorded_at = now
    request.authority_method = method
    request.authority_note = attestation.strip()
    request.save(update_fields=["authority_recorded_at", "authority_method", "authority_note"])
    step = authority_step(request, attestation=attestation, method=method)
    record(request, step.kind, step.message, actor=actor, now=now)


def authority_step(request: Request, *, attestation: str, method: str) -> Step:
    """The timeline step recording an agent's attested authority."""
    return Step(
        request,
        "authority_recorded",
        f"{AUTHORITY_CHECK.headline}: {vocabulary.ALL_AUTHORITY_METHODS[method]}. {attestation.strip()}",
    )


@dataclass(frozen=True)
class _Check:
    action: str  # in the transition table
    prefix: str  # Request fields: <at_field>, <prefix>_method, <prefix>_note
    at_field: str
    methods: dict[str, str]
    event: str
    ask_method: str
    ask_note: str
    already: str
    headline: str


IDENTITY_CHECK = _Check(
    action="record_identity",
    prefix="identity",
    at_field="identity_checked_at",
    methods=vocabulary.IDENTITY_METHODS,
    event="identity_checked",
    ask_method="Say how identity was checked",
    ask_note="Say what was matched (for example: the proven email and the account number).",
    already="Identity is already recorded as checked for this request.",
    headline="Identity checked",
)
AUTHORITY_CHECK = _Check(
    action="record_authority",
    prefix="authority",
    at_field="authority_recorded_at",
    methods=vocabulary.AUTHORITY_METHODS,
    event="authority_recorded",
    ask_method="Say how the authority was shown",
    ask_note="Say what was seen (for example: the signed permission dated 3 March).",
    already="The agent's authority is already recorded.",
    headline="Agent's authority recorded",
)


def _record_check(
    request: Request, *, check: _Check, method: str, note: str, actor: Actor, now: dt.datetime
) -> Request:
    with transaction.atomic(durable=True):
        return _apply_check(lock(pk=request.pk), check=check, method=method, note=note, actor=actor, now=now)


def _apply_check(request: Request, *, check: _Check, method: str, note: str, actor: Actor, now: dt.datetime) -> Request:
    """Record an identity check or an agent's authority on the request locked by the caller."""
    if method not in check.methods:
        raise DomainError(f"{check.ask_method}: one of {', '.join(check.methods)}.")
    if not note.strip():
        raise DomainError(check.ask_note)
    at_field = check.at_field
    transitions.check(check.action, request.status, actor)
    if check.prefix == "authority" and not request.agent_name:
        raise DomainError("This request was filed by the person, not by an agent.")
    if getattr(request, at_field) is not None:
        raise DomainError(check.already)
    fields = {at_field: now, f"{check.prefix}_method": method, f"{check.prefix}_note": note}
    for name, value in fields.items():
        setattr(request, name, value)
    request.save(update_fields=list(fields))
    record(request, check.event, f"{check.headline}: {check.methods[method]}. {note}", actor=actor, now=now)
    return request


def approve_contact(assignment: Assignment, *, actor: Actor, now: dt.datetime) -> Assignment:
    """Staff confirm the controller's address the requester typed: only then its responder link goes out."""
    with transaction.atomic(durable=True):
        request = lock(pk=assignment.request_id)
        transitions.check("approve_contact", request.status, actor)
        assignment = Assignment.objects.select_for_update().get(pk=assignment.pk, request=request)
        if assignment.contact_approved:
            raise DomainError("This responder's address needs no approval.")
        if assignment.status != Assignment.Status.OPEN:
            raise DomainError("This assignment is no longer open.")
        assignment.contact_approved = True
        assignment.save(update_fields=["contact_approved"])
        record(
            request,
            "contact_approved",
            f"Address of {assignment.responder_name} approved; its responder link is sent.",
            actor=actor,
            now=now,
            data={"assignment": assignment.pk},
        )
        notify_assignee(request, assignment)
    return assignment


def revoke_responder_link(
    assignment: Assignment, *, reason: str, send_new: bool, actor: Actor, now: dt.datetime
) -> Assignment:
    """Staff end a responder's link (sent to the wrong address, forwarded, a responder who left): every
    link signed for the assignment so far stops working. With `send_new`, a fresh link goes to the
    responder's address. Links also end by themselves when the assignment does (answered, or the
    request closed) and when their lifetime runs out."""
    if not reason.strip():
        raise DomainError("Say why the link is revoked.")
    with transaction.atomic(durable=True):
        request = lock(pk=assignment.request_id)
        transitions.check("revoke_link", request.status, actor)
        assignment = Assignment.objects.select_for_update().get(pk=assignment.pk, request=request)
        if assignment.status != Assignment.Status.OPEN:
            raise DomainError("This assignment is no longer open: its link already ended.")
        assignment.link_generation += 1
        assignment.save(update_fields=["link_generation"])
        record(
            request,
            "link_revoked",
            f"Responder link of {assignment.responder_name} revoked: {reason}"
            + (" A new link is sent." if send_new else " No new link is sent."),
            actor=actor,
            now=now,
            data={"assignment": assignment.pk, "generation": assignment.link_generation, "new_link": send_new},
        )
        if send_new:
            notify_assignee(request, assignment)
    return assignment


CLOSING_STATUSES = (Request.Status.COMPLETED, Request.Status.PARTIALLY_COMPLETED, Request.Status.REJECTED)


def close_request(request: Request, *, status: str, message: str, actor: Actor, now: dt.datetime) -> Request:
    """Staff answer the request: completed, partially completed (with reasons) or rejected (with reasons)."""
    if status not in CLOSING_STATUSES:
        raise DomainError(f"A request can only be closed as {', '.join(CLOSING_STATUSES)}.")
    if status != Request.Status.COMPLETED and not message.strip():
        raise DomainError("The person must be told the reasons.")
    with transaction.atomic(durable=True):
        request = lock(pk=request.pk)
        transitions.check("close", request.status, actor)
        if status != Request.Status.REJECTED:
            _refuse_undisclosable(request)
            if request.assignments.filter(answer_part__isnull=False).exists():
                partial = status == Request.Status.PARTIALLY_COMPLETED
                _draft_by_hand(request, partial=partial, cover=message, actor=actor, now=now)
                return request
        _close(request, status=status, message=message, actor=actor, now=now)
    return request


def _draft_by_hand(request: Request, *, partial: bool, cover: str, actor: Actor, now: dt.datetime) -> None:
    """Staff answer a request some responders have answered: their message becomes the cover of the draft,
    responders still open are no longer waited for, and the whole answer waits for a lead's approval."""
    answer = Answer.objects.select_for_update().get(request=request)
    answer.cover, answer.partial = cover.strip(), partial
    answer.save(update_fields=["cover", "partial"])
    _stop_open_tasks(request)
    if request.status != Request.Status.AWAITING_SUBJECT:  # else once the person has answered (resume)
        request.status = Request.Status.AWAITING_APPROVAL
        request.save(update_fields=["status"])
    parts = answer.parts.count()
    record(
        request,
        "answer_drafted",
        f"{actor.label} answered with the {parts} part{'s' if parts != 1 else ''} received"
        f"{' (partially completed)' if partial else ''}: the answer waits for a team lead's approval. {cover}".strip(),
        actor=actor,
        now=now,
        data={"parts": parts, "partial": partial},
    )


def _end(request: Request, *, status: str, now: dt.datetime) -> None:
    """The request leaves work in `status` (answered, withdrawn, joined to a duplicate): closed now, nothing
    more due, and the tasks still open no longer waited for."""
    request.status = status
    request.closed_at = now
    request.next_action_at = None
    request.save(update_fields=["status", "closed_at", "next_action_at"])
    _stop_open_tasks(request)


def _stop_open_tasks(request: Request) -> None:
    """The request's open tasks are no longer waited for: not applicable, out of the sweep's reminders."""
    request.assignments.filter(status=Assignment.Status.OPEN).update(
        status=Assignment.Status.NOT_APPLICABLE, next_action_at=None
    )


def _close(
    request: Request,
    *,
    status: str,
    message: str,
    actor: Actor,
    now: dt.datetime,
    data: dict[str, Any] | None = None,
    parts: list[dict[str, Any]] | None = None,
) -> None:
    """Close the request and send the person its answer (or refusal): one email, with every part given."""
    _end(request, status=status, now=now)
    offer = _offer_package(request, now=now) if status != Request.Status.REJECTED else {}
    data = {**(data or {}), **_package_event_data(request)} if offer else data
    record(request, status, message or "Request answered.", actor=actor, now=now, data=data)
    authority = letter.authority_for(request)
    notify_subject(
        request,
        "rejected" if status == Request.Status.REJECTED else "completed",
        "closed",
        partial=status == Request.Status.PARTIALLY_COMPLETED,
        message=message,
        parts=parts or [],
        authority=authority.name if authority else "",
        authority_website=authority.website if authority else "",
        is_appeal=request.request_type == "appeal",
        may_appeal=_may_appeal(request),
        appeal_complaints=appeal_denial_complaints(request) if status == Request.Status.REJECTED else [],
        **offer,
    )


def _may_appeal(request: Request) -> bool:
    """Whether a refusal tells the person how to appeal: where a law of the request gives an appeal (the US
    states'), or where no law is known to say it does not (the safer answer)."""
    laws = request_law_rules(request)
    return not laws or any(law.appeal.available for law in laws)


NOTE_MAX_LENGTH = 10_000


def add_note(request: Request, *, text: str, actor: Actor, now: dt.datetime) -> Request:
    """An internal note on the request: in the staff timeline, never on the person's status page."""
    text = text.strip()
    if not text:
        raise DomainError("A note needs some text.")
    if len(text) > NOTE_MAX_LENGTH:
        raise DomainError(f"A note has at most {NOTE_MAX_LENGTH:,} characters.")
    with transaction.atomic(durable=True):
        request = lock(pk=request.pk)
        transitions.check("note", request.status, actor)
        record(request, "note", text, actor=actor, now=now)
    return request


# What a person may send with a reply: documents and pictures, within limits a mailbox would also set.
REPLY_FILE_TYPES: dict[str, frozenset[str]] = {
    ".pdf": frozenset({"application/pdf"}),
    ".png": frozenset({"image/png"}),
    ".jpg": frozenset({"image/jpeg"}),
    ".jpeg": frozenset({"image/jpeg"}),
    ".txt": frozenset({"text/plain"}),
}
REPLY_FILE_MAX_BYTES = 10 * 1024 * 1024
REPLY_MAX_FILES = 5


def safe_file_name(name: str) -> str:
    """The name's last part only, in plain characters (no path, no spaces), at most 100 characters."""
    base = get_valid_filename(PurePath(name.replace("\\", "/")).name) or "file"
    stem, dot, ext = base.rpartition(".")
    return (stem[: 100 - len(ext) - 1] + dot + ext) if dot else base[:100]


def check_reply_files(files: Sequence[UploadedFile]) -> None:
    """Refuse a reply's files over the limits, saying which and why (nothing is stored then)."""
    if len(files) > REPLY_MAX_FILES:
        raise DomainError(f"At most {REPLY_MAX_FILES} files per reply.")
    for upload in files:
        name = safe_file_name(upload.name or "")
        allowed = REPLY_FILE_TYPES.get(PurePath(name).suffix.lower())
        if allowed is None or (upload.content_type or "") not in allowed:
            raise DomainError(f"{name}: only PDF, PNG, JPEG and plain-text files are accepted.")
        if (upload.size or 0) > REPLY_FILE_MAX_BYTES:
            raise DomainError(f"{name}: a file may be at most {REPLY_FILE_MAX_BYTES // (1024 * 1024)} MB.")


def record_reply(
    request: Request, *, text: str, files: Sequence[UploadedFile], actor: Actor, now: dt.datetime
) -> Request:
    """Staff record what the person replied (by email, post, phone): the text and any files they sent.

    The files are stored through Django's storage (MEDIA_ROOT), for the vendor's staff only, and are erased
    with the person's data (dsr.privacy.shredder).
    """
    text = text.strip()
    if not text and not files:
        raise DomainError("Record what the person replied, or the files they sent.")
    check_reply_files(files)
    return _store_files(
        request,
        action="record_reply",
        kind="subject_reply",
        message=lambda names: (
            f"The person replied: {text or '(no text)'}" + (f" Files: {', '.join(names)}." if names else "")
        ),
        files=files,
        actor=actor,
        now=now,
    )


def receive_permission(
    request: Request, *, files: Sequence[UploadedFile], now: dt.datetime, actor: Actor = AGENT
) -> Request:
    """The authorised agent sends the person's signed permission through its link (11 CCR 7063; ICO:
    written authority). Staff read it on the request's page and then record the authority."""
    if not request.agent_name:
        raise DomainError("This request was filed by the person, not by an agent.")
    if not files:
        raise DomainError("Attach the permission the person signed.")
    check_reply_files(files)
    return _store_files(
        request,
        action="send_permission",
        kind="permission_received",
        message=lambda names: f"{request.agent_name} sent the person's signed permission: {', '.join(names)}.",
        files=files,
        actor=actor,
        now=now,
    )


def _store_files(
    request: Request,
    *,
    action: str,
    kind: str,
    message: Callable[[list[str]], str],
    files: Sequence[UploadedFile],
    actor: Actor,
    now: dt.datetime,
) -> Request:
    """One timeline event and its files, stored through Django's storage, in one transaction."""
    stored: list[Attachment] = []
    try:
        with transaction.atomic(durable=True):
            request = lock(pk=request.pk)
            transitions.check(action, request.status, actor)
            names = [safe_file_name(upload.name or "") for upload in files]
            event = record(request, kind, message(names), actor=actor, now=now, data={"files": names})
            for upload, name in zip(files, names, strict=True):
                attachment = Attachment(
                    request=request,
                    event=event,
                    name=name,
                    content_type=upload.content_type or "",
                    size=upload.size or 0,
                    uploaded_at=now,
                )
                attachment.file.save(name, upload, save=False)
                stored.append(attachment)
                attachment.save()
    except BaseException:
        for attachment in stored:  # the reply was not recorded: its files go too
            attachment.file.delete(save=False)
        raise
    return request


def withdraw_request(request: Request, *, now: dt.datetime, actor: Actor = SUBJECT, reason: str = "") -> Request:
    """The person (or their agent) withdraws the request (any time before it is answered), with their reason
    where they gave one."""
    with transaction.atomic(durable=True):
        return withdraw_by_agent(request, now=now, actor=actor, reason=reason)


def withdraw_by_agent(request: Request, *, now: dt.datetime, actor: Actor, reason: str = "") -> Request:
    """withdraw_request inside the caller's transaction: an agent's protocol records the signed message it
    acts on (its replay store) in the same transaction as the withdrawal, so a message is used once."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("withdraw_by_agent() withdraws inside the caller's transaction.")
    request = lock(pk=request.pk)
    transitions.check("withdraw", request.status, actor)
    _end(request, status=Request.Status.WITHDRAWN, now=now)
    said = " ".join(reason.split())
    message = "The person withdrew the request." + (f" Their reason: {said}" if said else "")
    record(request, "withdrawn", message, actor=actor, now=now)
    notify_withdrawn(request)
    return request


def expire(request: Request, *, now: dt.datetime, actor: Actor = SYSTEM) -> None:
    """The email was never confirmed in time: the request expires. The caller holds the row lock."""
    transitions.check("expire", request.status, actor)
    request.status = Request.Status.EXPIRED
    request.closed_at = now
    request.next_action_at = None
    request.save(update_fields=["status", "closed_at", "next_action_at"])
    record(request, "expired", "The email address was never confirmed: the request expired.", actor=actor, now=now)


def assign_owner(request: Request, *, owner: Any, actor: Actor, now: dt.datetime) -> Request:
    """Give the request to a member of its vendor's team to work.

    Handlers and leads assign a request no one owns (or one they own themselves); taking a request away
    from another team member is a reassignment, a lead's action (the transition table's "reassign").
    Assigning it to its owner again changes nothing.
    """
    with transaction.atomic(durable=True):
        request = lock(pk=request.pk)
        taken_from = request.owner_id not in (None, actor.user_id)
        transitions.check("reassign" if taken_from else "assign", request.status, actor)
        if not StaffMembership.objects.filter(user_id=owner.pk, vendor_id=request.vendor_id).exists():
            raise DomainError(f"{owner.get_username()} is not on {request.vendor.name}'s team.")
        if request.owner_id == owner.pk:
            return request
        previous_id = request.owner_id
        previous = request.owner.get_username() if request.owner is not None else ""
        request.owner = owner
        request.save(update_fields=["owner"])
        name = owner.get_username()
        record(
            request,
            "owner_assigned",
            f"Reassigned from {previous} to {name}." if previous else f"Assigned to {name}.",
            actor=actor,
            now=now,
            data={"owner": owner.pk, "previous": previous_id},
        )
    return request


def mark_spam(request: Request, *, reason: str, actor: Actor, now: dt.datetime) -> Request:
    """Close an open request as spam: a refusal with reasons, told to the person with their rights.

    Only open requests are marked, and their address is proven, so the law's duty to answer stands even
    for a request staff think is not genuine (GDPR Art. 12(4): the reasons for not acting and the right to
    complain, within a month; the US state laws: a denial with reasons, and an appeal where they have one).
    The request is closed as rejected, the timeline says it was closed as spam and why, and the person
    gets the refusal email. A request whose address was never proven is not worked: it expires by itself,
    and nothing is sent to an address no one confirmed.
    """
    if not reason.strip():
        raise DomainError("Say why this is spam: the person is told the reasons.")
    with transaction.atomic(durable=True):
        request = lock(pk=request.pk)
        transitions.check("mark_spam", request.status, actor)
        _close(
            request,
            status=Request.Status.REJECTED,
            message=reason,
            actor=actor,
            now=now,
            data={"closed_as": "spam", "reason": reason},
        )
    return request


def mark_duplicate(request: Request, *, of: str, reason: str, actor: Actor, now: dt.datetime) -> Request:
    """Close an open request as a duplicate of the same person's open request `of` (its reference).

    The person is not left unanswered: the request it joins is open, with the same vendor and the same
    proven address, so its answer reaches the same person (as intake joins a repeated request to the
    earlier one). A request whose original is already closed, or came from another address, needs its
    own answer and is refused here. Nothing is emailed: the person has the original's acknowledgement and
    status page; both timelines record the join and the reason.
    """
    if not reason.strip():
        raise DomainError("Say why this request is a duplicate.")
    with transaction.atomic(durable=True):
        request = lock(pk=request.pk)
        transitions.check("mark_duplicate", request.status, actor)
        original = (
            Request.objects.filter(reference=of.strip().upper(), vendor_id=request.vendor_id)
            .exclude(pk=request.pk)
            .first()
        )
        if original is None:
            raise DomainError(f"No other request {of.strip()} of {request.vendor.name} to join this one to.")
        if original.status not in Request.OPEN_STATUSES:
            raise DomainError(
                f"{original.reference} is {original.get_status_display().lower()}: it will not answer the person. "
                "Answer this request on its own."
            )
        if original.email_digest != request.email_digest:
            raise DomainError(
                f"{original.reference} came from another address: its answer would not reach whoever sent "
                f"{request.reference}. Answer this request on its own."
            )
        if not same_person(original, request):
            raise DomainError(
                f"{original.reference} is about another person (or filed by another agent, or names another "
                f"business): joining them would leave someone unanswered. Answer {request.reference} on its own."
            )
        _end(request, status=Request.Status.DUPLICATE, now=now)
        record(
            request,
            "duplicate",
            f"Closed as a duplicate of {original.reference}, which answers the person: {reason}",
            actor=actor,
            now=now,
            data={"of": original.pk, "reason": reason},
        )
        record(
            original,
            "repeated",
            f"{request.reference} was closed as a duplicate of this request: {reason}",
            actor=actor,
            now=now,
            data={"duplicate": request.pk},
        )
    return request


# --- The answer package (dsr.packages) ------------------------------------------------------------------


def add_to_package(
    request: Request,
    *,
    category: str = "",
    upload: UploadedFile | None = None,
    rows: Any = None,
    actor: Actor,
    now: dt.datetime,
) -> Request:
    """A file, or data rows of one of the policy's categories, for the answer of an access or portability
    request (staff in the admin, a responder through its link). Sealed when the person is answered."""
    if request.request_type not in packages.PACKAGE_TYPES:
        raise DomainError("Only an access or portability request is answered with a package of the person's data.")
    if upload is None and rows is None:
        raise DomainError("Add a file or data rows.")
    undo: Callable[[], None] | None = None
    try:
        with transaction.atomic(durable=True):
            request = lock(pk=request.pk)
            transitions.check("add_to_package", request.status, actor)
            try:
                if upload is not None:
                    item, undo = packages.add_file(
                        request,
                        upload=upload,
                        name=safe_file_name(upload.name or ""),
                        category=category,
                        added_by=actor.label,
                        now=now,
                    )
                    what = f"File {item.name} ({item.size:,} bytes, SHA-256 {item.sha256[:12]}…)"
                else:
                    item = packages.add_rows(request, category=category, rows=rows, added_by=actor.label, now=now)
                    what = f"{len(item.rows)} data rows of {category}"
            except packages.PackageError as exc:
                raise DomainError(str(exc)) from None
            record(
                request,
                "package_item_added",
                f"{what} added to the answer package.",
                actor=actor,
                now=now,
                data={"item": item.pk, "kind": item.kind, "category": item.category, "sha256": item.sha256},
            )
    except BaseException:
        if undo is not None:  # the item was not recorded: its stored file goes too
            undo()
        raise
    return request


def _offer_package(request: Request, *, now: dt.datetime) -> dict[str, Any]:
    """When the person is answered: seal the package (if the answer has one) and say in the answer email
    where to download it and until when. One call, so it can move to wherever the answer is approved."""
    offer = packages.seal_and_offer(request, now=now)
    if offer is None:
        return {}
    return {"package_link": offer.link, "package_expires": offer.expires_at.date().isoformat()}


def _package_event_data(request: Request) -> dict[str, Any]:
    package = Package.objects.filter(request=request).first()
    if package is None or package.expires_at is None:
        return {}
    return {"package": {"sha256": package.archive_sha256, "expires_at": package.expires_at.isoformat()}}


def _live_package(request: Request, *, now: dt.datetime) -> Package:
    try:
        return packages.live_package(request, now=now)
    except packages.PackageError as exc:
        raise DomainError(str(exc)) from None


def resend_package_link(request: Request, *, actor: Actor, now: dt.datetime) -> Request:
    """Staff send the person the download link of their package again (to the proven email)."""
    with transaction.atomic(durable=True):
        request = lock(pk=request.pk)
        transitions.check("resend_package_link", request.status, actor)
        package = _live_package(request, now=now)
        sent = request.events.filter(kind="package_link_sent").count() + 1
        packages.email_link(
            request, package, key=f"{request.reference}:package-link:{sent}", context=subject_context(request)
        )
        record(request, "package_link_sent", "The download link was sent to the person again.", actor=actor, now=now)
    return request


def send_package_code(request: Request, *, now: dt.datetime, actor: Actor = SUBJECT) -> str:
    """The download page asks for a one-time code: it goes to the proven email only, a few per hour.
    Returns the address it went to, masked, for the page."""
    with transaction.atomic(durable=True):
        request = lock(pk=request.pk)
        transitions.check("send_package_code", request.status, actor)
        if request.verified_at is None or disclosure_missing(request):
            raise DomainError("This answer cannot be released yet.")  # never reached through _close's gate
        package = _live_package(request, now=now)
        if not ratelimit.allow("package-code", request.reference, now=now):
            raise DomainError("Too many codes were sent in the last hour. Please try again later.")
        code = packages.issue_code(package, now=now)
        sent = request.events.filter(kind="package_code_sent").count() + 1
        packages.email_code(request, code, key=f"{request.reference}:package-code:{sent}")
        record(
            request,
            "package_code_sent",
            "A one-time download code was sent to the proven email.",
            actor=actor,
            now=now,
        )
    return packages.masked(request.subject_email)


@dataclass(frozen=True)
class Download:
    """What the code released: the package (its archive to stream), or why not (`refused`: a checks code)."""

    package: Package | None
    refused: str = ""


def download_package(request: Request, *, code: str, now: dt.datetime, actor: Actor = SUBJECT) -> Download:
    """The person enters the code: the right one releases the download once ("downloaded" on the timeline);
    a wrong one counts (and is kept counted), and after a few the code stops working."""
    with transaction.atomic(durable=True):
        request = lock(pk=request.pk)
        transitions.check("download_package", request.status, actor)
        package = _live_package(request, now=now)
        verdict = packages.check_code(package, code, now=now)
        if verdict != packages.CODE_OK:
            return Download(None, refused=verdict)
        packages.mark_downloaded(package, now=now)
        record(
            request,
            "downloaded",
            f"The person downloaded the answer package (download {package.download_count}).",
            actor=actor,
            now=now,
            data={"sha256": package.archive_sha256},
        )
    return Download(package)


def expire_package(request: Request, *, now: dt.datetime, actor: Actor = SYSTEM) -> Request:
    """A package past its days: its files are deleted from storage, the package is marked, the timeline says so."""
    with transaction.atomic(durable=True):
        request = lock(pk=request.pk)
        transitions.check("expire_package", request.status, actor)
        package = Package.objects.select_for_update().filter(request=request).first()
        if package is None or package.status not in Package.LIVE_STATUSES:
            raise DomainError("There is no package to delete.")
        if package.expires_at is None or package.expires_at > now:
            raise DomainError(f"The package is kept until {package.expires_at:%d %b %Y}.")
        packages.delete_files(package)
        Package.objects.filter(pk=package.pk).update(status=Package.Status.EXPIRED_DELETED, deleted_at=now)
        downloaded = "after it was downloaded" if package.downloaded else "without being downloaded"
        record(
            request,
            "package_deleted",
            f"The answer package expired {downloaded}; its files are deleted.",
            actor=actor,
            now=now,
        )
    return request
