"""The one table of a request's state changes: for each action, from which statuses it is allowed, who may
take it, where it leads, and what it implies (timeline events, emails, deadline changes).

The workflow checks every change against this table before it writes anything; the staff admin offers
only the actions the table allows for the request's status and the staff role; the API will expose it.
tests/dsr/test_transitions.py walks the whole status × action matrix against the real workflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..models import Request
from .errors import DomainError
from .timeline import ROLES, Actor, Role

S = Request.Status
OPEN = frozenset({S.VERIFIED, S.IN_PROGRESS, S.AWAITING_SUBJECT, S.AWAITING_APPROVAL})
# Where responders' answers come in and the draft answer is worked on.
ANSWERING = frozenset({S.IN_PROGRESS, S.AWAITING_SUBJECT, S.AWAITING_APPROVAL})
NOT_CLOSED = OPEN | {S.SUBMITTED}
# Answered with the person's data: the answer package can be downloaded (dsr.packages) until it expires.
ANSWERED = frozenset({S.COMPLETED, S.PARTIALLY_COMPLETED})

# What an action does to the stored deadlines: set them for the first time, recompute them (a pause
# or an extension moves them), clear them (nothing is due once a request is closed), or leave them.
DeadlineEffect = Literal["set", "recompute", "clear", "keep"]


@dataclass(frozen=True)
class Transition:
    action: str
    label: str  # the button staff see, or what the step is called
    sources: frozenset[str]  # the statuses the action is allowed from
    targets: frozenset[str]  # the statuses it can lead to
    roles: frozenset[Role]  # who may take it
    events: tuple[str, ...]  # timeline events it writes
    emails: tuple[str, ...]  # email templates it queues (to the person, responders or staff)
    deadlines: DeadlineEffect
    refusal: str  # what is said when the status does not allow it; {status} is the current status

    def allows(self, status: str) -> bool:
        return status in self.sources

    def refuse(self, status: str) -> DomainError:
        label = S(status).label.lower() if status in S.values else status
        return DomainError(self.refusal.format(status=label))


def _t(
    action: str,
    label: str,
    sources: frozenset[str] | set[str],
    targets: set[str],
    roles: set[Role],
    *,
    events: tuple[str, ...],
    emails: tuple[str, ...] = (),
    deadlines: DeadlineEffect = "keep",
    refusal: str,
) -> Transition:
    return Transition(
        action=action,
        label=label,
        sources=frozenset(sources),
        targets=frozenset(targets),
        roles=frozenset(roles),
        events=events,
        emails=emails,
        deadlines=deadlines,
        refusal=refusal,
    )


TABLE: dict[str, Transition] = {
    t.action: t
    for t in (
        _t(
            "verify",
            "Confirm the email address",
            {S.SUBMITTED},
            {S.VERIFIED},
            # Staff record an address as verified when they file a request received by post, phone or email.
            {"subject", "handler", "lead"},
            events=("verified", "deadlines"),
            emails=("acknowledged",),
            deadlines="set",
            refusal="This request is {status}; its email address cannot be confirmed now.",
        ),
        _t(
            "accept",
            "Accept without email confirmation",
            {S.SUBMITTED},
            {S.VERIFIED},
            # Where no law of the request asks any verification (CCPA opt-outs and limits, 11 CCR 7026,
            # 7027(e)), the request is acted on at once: the email link would be friction the law forbids.
            {"system"},
            events=("accepted", "deadlines"),
            emails=("acknowledged",),
            deadlines="set",
            refusal="This request is {status}; it cannot be accepted now.",
        ),
        _t(
            "join_duplicate",
            "Join to the person's earlier open request",
            {S.SUBMITTED},
            {S.DUPLICATE},
            {"subject", "handler", "lead"},
            events=("duplicate", "repeated"),
            refusal="A request that is {status} cannot be joined to another.",
        ),
        _t(
            "route",
            "Route to whoever must answer",
            {S.VERIFIED},
            {S.IN_PROGRESS},
            {"system"},
            events=("routed",),
            emails=("routed", "assignment"),
            refusal="A request that is {status} cannot be routed.",
        ),
        _t(
            "record_identity",
            "Record the identity check",
            OPEN,
            set(OPEN),
            {"handler", "lead"},
            events=("identity_checked",),
            refusal="A request that is {status} needs no identity check.",
        ),
        _t(
            "record_authority",
            "Record the agent's authority",
            OPEN,
            set(OPEN),
            {"handler", "lead"},
            events=("authority_recorded",),
            refusal="A request that is {status} needs no record of authority.",
        ),
        _t(
            "attest_authority",
            "An agent attests its authority as it files (its API client, or its signed protocol request)",
            {S.SUBMITTED},
            {S.SUBMITTED},
            # A registered API client (api/), or an agent whose Data Rights Protocol request is signed with the
            # key staff registered for it (api.drp), files as the person's agent: its attestation is recorded as
            # the authority at filing, before anything could be disclosed (the identity check stays staff's).
            {"subject"},
            events=("authority_recorded",),
            refusal="A request that is {status} was filed already; staff record the authority now.",
        ),
        _t(
            "send_permission",
            "Send the person's signed permission (the agent, through its link)",
            OPEN,
            set(OPEN),
            {"subject"},
            events=("permission_received",),
            refusal="A request that is {status} takes no more documents.",
        ),
        _t(
            "approve_contact",
            "Approve the controller's address",
            {S.IN_PROGRESS, S.AWAITING_SUBJECT},
            {S.IN_PROGRESS, S.AWAITING_SUBJECT},
            {"handler", "lead"},
            events=("contact_approved",),
            emails=("assignment",),
            refusal="A request that is {status} sends nothing more to responders.",
        ),
        _t(
            "assign",
            "Assign to a team member",
            OPEN,
            set(OPEN),
            {"handler", "lead"},
            events=("owner_assigned",),
            refusal="A request that is {status} is worked by no one.",
        ),
        _t(
            # Taking a request away from the team member who owns it is a lead's call.
            "reassign",
            "Reassign from its owner",
            OPEN,
            set(OPEN),
            {"lead"},
            events=("owner_assigned",),
            refusal="A request that is {status} is worked by no one.",
        ),
        _t(
            # A refusal with reasons, told to the person (their address is proven): never a silent close.
            "mark_spam",
            "Close as spam (refused, with reasons)",
            OPEN,
            {S.REJECTED},
            {"lead"},
            events=("rejected",),
            emails=("rejected",),
            deadlines="clear",
            refusal="A request that is {status} cannot be closed as spam.",
        ),
        _t(
            # Only onto an open request of the same person (proven address): that one answers them.
            "mark_duplicate",
            "Close as a duplicate of the person's open request",
            OPEN,
            {S.DUPLICATE},
            {"handler", "lead"},
            events=("duplicate", "repeated"),
            deadlines="clear",
            refusal="A request that is {status} cannot be closed as a duplicate.",
        ),
        _t(
            "pause",
            "Ask the person for information",
            {S.VERIFIED, S.IN_PROGRESS, S.AWAITING_APPROVAL},
            {S.AWAITING_SUBJECT},
            {"handler", "lead"},
            events=("paused", "deadlines"),
            emails=("info_needed",),
            deadlines="recompute",
            refusal="A request that is {status} cannot be paused.",
        ),
        _t(
            "resume",
            "Record the person's answer",
            {S.AWAITING_SUBJECT},
            # Back to the responders, or to the lead where every responder has answered.
            {S.IN_PROGRESS, S.VERIFIED, S.AWAITING_APPROVAL},
            {"handler", "lead"},
            events=("resumed", "deadlines"),
            deadlines="recompute",
            refusal="The request is not waiting for the person (it is {status}).",
        ),
        _t(
            "extend",
            "Extend the deadline",
            OPEN,
            set(OPEN),
            {"lead"},
            events=("extended", "deadlines"),
            emails=("extended",),
            deadlines="recompute",
            refusal="A request that is {status} cannot be extended.",
        ),
        _t(
            "complete_assignment",
            "Confirm what a responder did",
            {S.IN_PROGRESS, S.AWAITING_SUBJECT},
            {S.IN_PROGRESS, S.AWAITING_SUBJECT, S.AWAITING_APPROVAL},
            {"responder", "handler", "lead"},
            # Each answer is a part of the draft; the last one puts the draft before a lead. Nothing goes
            # to the person until a lead approves it (approve_answer).
            events=("assignment_done", "answer_ready"),
            refusal="A request that is {status} takes no more answers.",
        ),
        _t(
            "edit_answer",
            "Edit the answer",
            ANSWERING,
            set(ANSWERING),
            {"handler", "lead"},
            events=("answer_edited",),
            refusal="The answer to a request that is {status} cannot be edited.",
        ),
        _t(
            "approve_answer",
            "Approve and send the answer",
            {S.AWAITING_APPROVAL},
            {S.COMPLETED, S.PARTIALLY_COMPLETED},
            {"lead"},
            events=("answer_approved", "completed", "partially_completed"),
            emails=("completed",),
            deadlines="clear",
            refusal="A request that is {status} has no answer waiting for approval.",
        ),
        _t(
            # Where responders' parts exist, staff's answer becomes the draft's cover and waits for approval.
            "close",
            "Answer and close",
            OPEN,
            {S.COMPLETED, S.PARTIALLY_COMPLETED, S.REJECTED, S.AWAITING_APPROVAL, S.AWAITING_SUBJECT},
            {"lead"},
            events=("completed", "partially_completed", "rejected", "answer_drafted"),
            emails=("completed", "rejected"),
            deadlines="clear",
            refusal="The request is already {status}.",
        ),
        _t(
            "withdraw",
            "Withdraw the request",
            NOT_CLOSED,
            {S.WITHDRAWN},
            {"subject"},
            events=("withdrawn",),
            emails=("withdrawn", "assignment_withdrawn"),
            deadlines="clear",
            refusal="The request is already {status}.",
        ),
        _t(
            "note",
            "Add an internal note",
            set(S.values),
            set(S.values),
            {"handler", "lead"},
            events=("note",),
            refusal="A request that is {status} takes no notes.",
        ),
        _t(
            "record_reply",
            "Record the person's reply",
            OPEN,
            set(OPEN),
            {"handler", "lead"},
            events=("subject_reply",),
            refusal="A request that is {status} takes no more replies.",
        ),
        _t(
            # Files or data rows for the answer (staff in the admin, a responder through its link).
            "add_to_package",
            "Add to the answer package",
            OPEN,
            set(OPEN),
            {"handler", "lead", "responder"},
            events=("package_item_added",),
            refusal="A request that is {status} takes nothing more for its answer package.",
        ),
        _t(
            "resend_package_link",
            "Send the download link again",
            ANSWERED,
            set(ANSWERED),
            {"handler", "lead"},
            events=("package_link_sent",),
            emails=("package_link",),
            refusal="A request that is {status} has no answer package to download.",
        ),
        _t(
            # The person (or the agent whose authority is recorded) asks for a code on the download page.
            "send_package_code",
            "Send a one-time code to the proven email",
            ANSWERED,
            set(ANSWERED),
            {"subject"},
            events=("package_code_sent",),
            emails=("package_code",),
            refusal="A request that is {status} has no answer package to download.",
        ),
        _t(
            "download_package",
            "Download the answer package with the code",
            ANSWERED,
            set(ANSWERED),
            {"subject"},
            events=("downloaded",),
            refusal="A request that is {status} has no answer package to download.",
        ),
        _t(
            "expire_package",
            "Delete the answer package after its days",
            ANSWERED,
            set(ANSWERED),
            {"system"},
            events=("package_deleted",),
            refusal="A request that is {status} has no answer package to delete.",
        ),
        _t(
            "revoke_link",
            "Revoke a responder's link",
            OPEN,
            set(OPEN),
            {"handler", "lead"},
            events=("link_revoked",),
            emails=("assignment",),
            refusal="A request that is {status} has no live responder links: they ended when it closed.",
        ),
        _t(
            "expire",
            "Expire: the email was never confirmed",
            {S.SUBMITTED},
            {S.EXPIRED},
            {"system"},
            events=("expired",),
            deadlines="clear",
            refusal="A request that is {status} cannot expire.",
        ),
    )
}

ACTIONS: tuple[str, ...] = tuple(TABLE)


def transition(action: str) -> Transition:
    try:
        return TABLE[action]
    except KeyError:
        raise DomainError(f"Unknown action {action!r}.") from None


def is_allowed(action: str, status: str, role: Role | None = None) -> bool:
    t = transition(action)
    return t.allows(status) and (role is None or role in t.roles)


def check(action: str, status: str, actor: Actor) -> Transition:
    """The transition, if `actor` may take `action` on a request in `status`; else a DomainError saying why."""
    t = transition(action)
    if actor.role not in t.roles:
        raise DomainError(f"{t.label}: not an action for {actor.role} ({', '.join(sorted(t.roles))} only).")
    if not t.allows(status):
        raise t.refuse(status)
    return t


def allowed_actions(status: str, role: Role) -> list[Transition]:
    """The actions `role` may take now, in the table's order (what the admin offers, what the API lists)."""
    return [t for t in TABLE.values() if t.allows(status) and role in t.roles]


def matrix() -> dict[str, dict[str, tuple[Role, ...]]]:
    """{status: {action: roles allowed}}, every status × action, for display and the API."""
    return {status: {a: tuple(r for r in ROLES if is_allowed(a, status, r)) for a in ACTIONS} for status in S.values}
