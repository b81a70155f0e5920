"""State changes of a request after intake: routing, pauses, extensions, answers, closing, withdrawal.

Each public function takes the acting `Actor` and `now`, owns its transaction, locks the request row
(that row only), checks the change against the transition table (dsr.requests.transitions), writes it,
appends timeline events, queues any email into the outbox, and defers the rest to commit. Deadlines
are never computed here: dsr.requests.schedule asks the engine and stores the answer.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import translation
from django.utils.text import get_valid_filename

from policies import vocabulary

from ..engine import deadlines as engine
from ..engine import identity as engine_identity
from ..engine.identity import IdentityRequirement
from ..engine.routing import Plan, RequestFacts, plan_for
from ..models import Assignment, Attachment, Pause, Request, StaffMembership
from . import transitions
from .errors import DomainError
from .notices import notify_assignee, notify_subject, notify_withdrawn
from .schedule import apply_deadlines, compute_for, local_date, request_law_rules, schedule_assignments
from .timeline import AGENT, SUBJECT, SYSTEM, Actor, record

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
    is answered on its own.
    """
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
                    # The requester typed this controller's address: a hint, approved by staff before use.
                    "contact_approved": not (
                        planned.responder_kind == Assignment.ResponderKind.CUSTOMER and planned.responder_email
                    ),
                },
            )
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
        return plan_for(request.policy_version.policy, facts, due_at=request.due_at)


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
        record(
            request,
            "paused",
            f"Waiting for the person ({Pause.Kind(kind).label.lower()}) from {on}: {reason}"
            + _recorded(on, now=now, request=request),
            actor=actor,
            now=now,
            data={"on": on.isoformat(), "recorded_at": now.isoformat()},
        )
        apply_deadlines(request, now=now, reason=f"paused for {kind}", actor=actor)
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
        request.status = Request.Status.IN_PROGRESS if request.assignments.exists() else Request.Status.VERIFIED
        request.save(update_fields=["status"])
        record(
            request,
            "resumed",
            f"The person answered on {on}; the pause from {pause.started_on} ended."
            + _recorded(on, now=now, request=request),
            actor=actor,
            now=now,
            data={"on": on.isoformat(), "recorded_at": now.isoformat()},
        )
        apply_deadlines(request, now=now, reason="pause ended", actor=actor)
    if request.status == Request.Status.VERIFIED:
        route_request(request.pk, now=now)
    return request


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
        try:
            compute_for(request, now=now, extended=True, extension_on=announced_on)
        except engine.DeadlineError as exc:
            raise DomainError(str(exc)) from None
        request.extended = True
        request.extension_announced_on = announced_on
        request.extension_reason = reason
        request.save(update_fields=["extended", "extension_announced_on", "extension_reason"])
        record(request, "extended", f"Deadline extended, announced on {announced_on}: {reason}", actor=actor, now=now)
        apply_deadlines(request, now=now, reason="extension", actor=actor)
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
    """A responder confirms what it did. The request closes itself once every assignment is done."""
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
        record(
            request,
            "assignment_done",
            f"{assignment.responder_name} ({assignment.get_action_display()}): {outcome}",
            actor=actor,
            now=now,
            data={"assignment": assignment.pk},
        )
        if not request.assignments.filter(status=Assignment.Status.OPEN).exists():
            missing = disclosure_missing(request)
            if missing:
                # Every responder answered, but nothing goes to the person before the checks are recorded.
                record(
                    request,
                    "answer_waiting",
                    "Every responder has answered. The answer waits for: " + "; ".join(missing) + ".",
                    actor=actor,
                    now=now,
                )
            else:
                partial = request.assignments.filter(partial=True).exists()
                _close(
                    request,
                    status=Request.Status.PARTIALLY_COMPLETED if partial else Request.Status.COMPLETED,
                    message=outcome,
                    actor=actor,
                    now=now,
                )
    return assignment


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
    if method not in check.methods:
        raise DomainError(f"{check.ask_method}: one of {', '.join(check.methods)}.")
    if not note.strip():
        raise DomainError(check.ask_note)
    at_field = check.at_field
    with transaction.atomic(durable=True):
        request = lock(pk=request.pk)
        transitions.check(check.action, request.status, actor)
        if check is AUTHORITY_CHECK and not request.agent_name:
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
        missing = disclosure_missing(request)
        if status != Request.Status.REJECTED and missing:
            raise DomainError(
                "Nothing is answered before " + " and ".join(missing) + " is recorded. "
                "Record it, ask the person for more information, or refuse the request as unverifiable."
            )
        _close(request, status=status, message=message, actor=actor, now=now)
    return request


def _close(
    request: Request,
    *,
    status: str,
    message: str,
    actor: Actor,
    now: dt.datetime,
    data: dict[str, Any] | None = None,
) -> None:
    request.status = status
    request.closed_at = now
    request.next_action_at = None
    request.save(update_fields=["status", "closed_at", "next_action_at"])
    request.assignments.filter(status=Assignment.Status.OPEN).update(
        status=Assignment.Status.NOT_APPLICABLE, next_action_at=None
    )
    record(request, status, message or "Request answered.", actor=actor, now=now, data=data)
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


def withdraw_request(request: Request, *, now: dt.datetime, actor: Actor = SUBJECT) -> Request:
    """The person withdraws the request (any time before it is answered)."""
    with transaction.atomic(durable=True):
        request = lock(pk=request.pk)
        transitions.check("withdraw", request.status, actor)
        request.status = Request.Status.WITHDRAWN
        request.closed_at = now
        request.next_action_at = None
        request.save(update_fields=["status", "closed_at", "next_action_at"])
        request.assignments.filter(status=Assignment.Status.OPEN).update(
            status=Assignment.Status.NOT_APPLICABLE, next_action_at=None
        )
        record(request, "withdrawn", "The person withdrew the request.", actor=actor, now=now)
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
        request.status = Request.Status.DUPLICATE
        request.closed_at = now
        request.next_action_at = None
        request.save(update_fields=["status", "closed_at", "next_action_at"])
        request.assignments.filter(status=Assignment.Status.OPEN).update(
            status=Assignment.Status.NOT_APPLICABLE, next_action_at=None
        )
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
