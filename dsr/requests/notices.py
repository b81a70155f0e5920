"""Who is told what about a request: the person, the responders and the vendor's staff team.

Each function builds the message's context and queues it in the outbox (dsr.outbox.emails), inside the
caller's transaction, once per key.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model

from policies.models import Contact

from ..engine.identity import identity_requirement
from ..models import Assignment, Request
from ..outbox.emails import Pending, queue_email
from ..security.lookalike import email_for_staff
from ..security.tokens import make_token
from .schedule import (
    controller_sets_deadline,
    deadline_summary,
    due_date,
    forward_date,
    local_date,
    request_law_rules,
)


def subject_context(request: Request) -> dict[str, object]:
    """What every email to the person may show (their own request only)."""
    controller_sets = controller_sets_deadline(request)
    is_open = request.status not in Request.CLOSED_STATUSES
    return {
        "reference": request.reference,
        "vendor": request.vendor.name,
        "request_type": request.get_request_type_display(),
        "name": request.agent_name or request.subject_name,
        "subject_name": request.subject_name,
        "is_agent": bool(request.agent_name),
        "received": local_date(request, request.received_at).isoformat(),  # the responder's calendar day
        # A closed or withdrawn request has nothing due any more: no date is shown.
        "due": due.isoformat() if is_open and (due := due_date(request)) and not controller_sets else "",
        # The engine's steps, put into the person's words when the email is rendered in their language.
        "deadline_data": person_deadline_data(request) if is_open and not controller_sets else {},
        # Only a processor here: the controller's deadline, not ours; we say by when we forward it.
        "controller_sets_deadline": controller_sets,
        "forward_by": day.isoformat() if controller_sets and (day := forward_date(request)) else "",
        "status_link": f"/status/{make_token('status', request.reference)}/",
    }


def appeal_denial_complaints(request: Request) -> list[str]:
    """Whom the person may complain to when their appeal is denied, per the laws of the request.

    The US state laws with an appeal require the denial to tell the person how to contact the Attorney
    General (Va. Code 59.1-577(C), C.R.S. 6-1-1306(3), Conn. 42-518(d), ORS 646A.576(6), MCA 30-14-2808(5),
    Tex. 541.053): laws.yaml `appeal.denial_complaint`. Empty for any other request type.
    """
    if request.request_type != "appeal":
        return []
    laws = request_law_rules(request)
    return [law.appeal.denial_complaint for law in laws if law.appeal.available and law.appeal.denial_complaint]


def person_deadline_data(request: Request) -> dict[str, Any]:
    """What the person's explanation of the deadline is rendered from (explain.render_for_person): the
    binding deadlines' kinds, dates and steps as stored, nothing of the staff wording."""
    stored = request.deadlines or {}
    keep = ("kind", "due_date", "binding", "steps")
    strictest = stored.get("strictest")
    return {
        "strictest": {key: strictest.get(key) for key in keep} if strictest else None,
        "deadlines": [{key: d.get(key) for key in keep} for d in stored.get("deadlines") or () if d.get("binding")],
    }


def identity_words(request: Request) -> str:
    """What matching the laws of this request require before anything is disclosed, for responders."""
    return identity_requirement(request_law_rules(request), request.request_type).words


def notify_subject(request: Request, template: str, key: str, **extra: object) -> None:
    """Queue an email to the person, in their language, once per `key` (e.g. "acknowledged")."""
    queue_email(**vars(subject_notice(request, template, key, **extra)))  # rendered now, unlike queue_many


def subject_notice(request: Request, template: str, key: str, **extra: object) -> Pending:
    """The email `notify_subject` queues, for `queue_many` (many requests at once)."""
    return Pending(
        key=f"{request.reference}:{key}",
        to=request.subject_email,
        template=template,
        context={**subject_context(request), **extra},
        language=request.language,
        request=request,
        urgent=True,
    )


def _proven(request: Request) -> dict[str, str]:
    """The proven email as a responder reads it: as the mail system sees it, a look-alike flagged
    (dsr.security.lookalike), or nothing before the person proved it."""
    if not request.verified_at:
        return {"proven_email": "", "proven_email_warning": ""}
    shown = email_for_staff(request.subject_email)
    return {"proven_email": shown.text, "proven_email_warning": shown.warning}


def staff_emails(request: Request) -> list[str]:
    """The vendor's staff team (active members with an address), else the shared DSR_STAFF_EMAIL."""
    return staff_emails_by_vendor([request.vendor_id])[request.vendor_id]


def staff_emails_by_vendor(vendor_ids: Iterable[int]) -> dict[int, list[str]]:
    """`staff_emails` for many vendors in one query: {vendor id: addresses}."""
    wanted = set(vendor_ids)
    team: dict[int, list[str]] = {vendor_id: [] for vendor_id in wanted}
    rows = (
        get_user_model()
        .objects.filter(dsr_memberships__vendor_id__in=wanted, is_active=True)
        .exclude(email="")
        .order_by("email")
        .values_list("dsr_memberships__vendor_id", "email")
    )
    for vendor_id, email in rows:
        team[vendor_id].append(email)
    return {vendor_id: emails or [str(settings.DSR_STAFF_EMAIL)] for vendor_id, emails in team.items()}


def contact_emails_by_version(version_ids: Iterable[int]) -> dict[int, str]:
    """Each policy version's privacy contact's address (else its DPO's), where it gives one: one query."""
    found: dict[int, str] = {}
    rows = (
        Contact.objects.filter(version_id__in=set(version_ids), kind__in=("privacy", "dpo"))
        .exclude(email="")
        .order_by("version_id", "kind", "-pk")  # "dpo" < "privacy": the privacy contact is written last
        .values_list("version_id", "email")
    )
    for version_id, email in rows:
        found[version_id] = email
    return found


def handler_emails(
    request: Request,
    assignment: Assignment,
    *,
    staff: list[str] | None = None,
    contacts: dict[int, str] | None = None,
) -> list[str]:
    """Who gets an assignment's emails: the responder if it has an address, else the vendor's privacy
    contact (it instructs recipients the policy gives no address for), else the vendor's staff team.

    `staff` and `contacts` (the vendor's team, the versions' contact addresses) are given by callers that
    handle many rows at once; otherwise they are read here."""
    if assignment.responder_email:
        return [assignment.responder_email]
    if assignment.responder_kind == Assignment.ResponderKind.SUB_PROCESSOR:
        if contacts is None:
            contacts = contact_emails_by_version([request.policy_version_id])
        if contact := contacts.get(request.policy_version_id):
            return [contact]
    return staff if staff is not None else staff_emails(request)


def to_each(addresses: list[str], *, key: str, **email: Any) -> list[Pending]:
    """One email per address; the first keeps the plain key so existing keys stay stable."""
    return [
        Pending(key=key if i == 0 else f"{key}:{address}", to=address, **email) for i, address in enumerate(addresses)
    ]


def responder_link(request: Request, assignment: Assignment) -> str:
    token = make_token(
        "responder", request.reference, assignment_id=assignment.pk, generation=assignment.link_generation
    )
    return f"/respond/{token}/"


def notify_assignee(request: Request, assignment: Assignment) -> None:
    """The responder's task, with its signed link, sent when the request is routed (or, for an address
    the requester typed, once staff approve it). It names the proven email and the identity check
    required before anything is disclosed."""
    for notice in assignee_notices(request, assignment):
        queue_email(**vars(notice))


def assignee_notices(
    request: Request,
    assignment: Assignment,
    *,
    staff: list[str] | None = None,
    contacts: dict[int, str] | None = None,
) -> list[Pending]:
    """The emails `notify_assignee` queues (for `queue_many` when many requests are routed at once); none
    for an address the requester typed that staff have not approved."""
    if not assignment.contact_approved:
        return []
    context: dict[str, Any] = {
        "reference": request.reference,
        "vendor": request.vendor.name,
        "request_type": request.get_request_type_display(),
        "relationship": request.relationships_display,
        "action": assignment.get_action_display(),
        "responder": assignment.responder_name,
        "due": day.isoformat() if (day := due_date(request)) else "",
        "explanation": assignment.explanation,
        "citations": assignment.citations,
        "policy_gap": assignment.policy_gap,
        "deadline_summary": deadline_summary(request),
        "link": responder_link(request, assignment),
        **_proven(request),
        "filed_by_agent": request.agent_name,
        "identity_words": identity_words(request),
    }
    return to_each(
        handler_emails(request, assignment, staff=staff, contacts=contacts),
        # A link sent again after staff revoked the last one is a new email (the first keeps the plain key).
        key=f"{request.reference}:assignment:{assignment.pk}"
        + (f":link{assignment.link_generation}" if assignment.link_generation else ""),
        template="assignment",
        context=context,
        language="en",
        request=request,
    )


def notify_withdrawn(request: Request) -> None:
    """The person withdrew: tell them, and every responder that was sent the task (an address the requester
    typed and staff never approved was never written to, and is not now)."""
    notify_subject(request, "withdrawn", "withdrawn")
    for assignment in request.assignments.exclude(responder_email="").filter(contact_approved=True):
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


def ask_agent_for_permission(request: Request) -> None:
    """An agent's confirmed request: the agent is sent a link to upload the person's signed permission."""
    queue_email(
        key=f"{request.reference}:permission",
        to=request.subject_email,
        template="permission_needed",
        context={
            **subject_context(request),
            "link": f"/authority/{make_token('authority', request.reference)}/",
        },
        language=request.language,
        request=request,
        urgent=True,
    )
