"""The transition table (dsr.requests.transitions) against the real workflow: every status × every action.

Each cell brings a real request into the status through intake and the workflow, then takes the action
through the function that performs it. Where the table allows it, the action succeeds, lands in one of
the table's target statuses and writes exactly the table's events and emails that apply; where it does
not, the action is refused (or, for the idempotent entry points, changes nothing) and writes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from dsr.models import Assignment, Event, OutgoingEmail, Package, Pause, Request, StaffMembership
from dsr.packages import services as packages
from dsr.requests import transitions, workflow
from dsr.requests.errors import DomainError
from dsr.requests.intake import accept_unconfirmed, verify_email
from dsr.requests.timeline import ROLES, SUBJECT, SYSTEM, Actor, Role
from tests.factories import LATER, RECEIVED, STAFF, identified, routed, verified
from tests.statuses import CLOSING, reach

pytestmark = pytest.mark.usefixtures("policies")

S = Request.Status
# When the action is taken: after the set-up steps (which happen at RECEIVED and LATER).
ACT = LATER + dt.timedelta(days=1)
ACTORS: dict[Role, Actor] = {
    "subject": SUBJECT,
    "handler": Actor("handler", "handler"),
    "lead": STAFF,
    "responder": Actor.responder("Leadsment privacy team"),
    "system": SYSTEM,
}
# Entry points a person or a job may hit again: a second click on the confirmation link, a routing task
# delivered twice. Where the table does not allow the action they return and change nothing.
IDEMPOTENT = {"verify", "join_duplicate", "route"}


def open_assignment(request: Request) -> Assignment:
    """An open assignment of the request. A request the workflow never routed (or already closed) has none,
    so one is left open by hand: the table, not the missing row, must be what refuses the answer."""
    found = request.assignments.filter(status=Assignment.Status.OPEN).first()
    if found is not None:
        return found
    return Assignment.objects.create(
        request=request,
        responder_kind=Assignment.ResponderKind.STAFF_QUEUE,
        responder_name="Left open",
        action=Assignment.Action.RESOLVE_GAP,
        due_at=RECEIVED + dt.timedelta(days=30),
        explanation="Left open for the test.",
    )


def team_member(request: Request, username: str) -> Any:
    user = get_user_model().objects.create_user(username, is_staff=True)
    StaffMembership.objects.create(user=user, vendor_id=request.vendor_id)
    return user


def prepare(action: str, request: Request) -> Callable[[Actor], object]:
    """Set up what the action needs (outside what is measured) and return the call that takes it."""
    if action == "verify":
        return lambda actor: verify_email(request.reference, now=ACT, actor=actor)
    if action == "accept":
        # A Californian's opt-out: no law of it asks to verify it (11 CCR 7026).
        Request.objects.filter(pk=request.pk).update(request_type="opt_out", law_codes=["US_CA_CCPA"])
        return lambda actor: accept_unconfirmed(request.reference, now=ACT, actor=actor)
    if action == "join_duplicate":
        verified()  # Alice files the same request again and confirms it: an open request of hers exists
        return lambda actor: verify_email(request.reference, now=ACT, actor=actor)
    if action == "route":
        return lambda actor: workflow.route_request(request.pk, now=ACT, actor=actor)
    if action == "pause":
        return lambda actor: workflow.pause_request(
            request, kind="clarification", on=ACT.date(), reason="Which account?", actor=actor, now=ACT
        )
    if action == "resume":
        return lambda actor: workflow.resume_request(request, on=ACT.date(), actor=actor, now=ACT)
    if action == "extend":
        return lambda actor: workflow.extend_request(request, reason="Many systems.", actor=actor, now=ACT)
    answering = ("complete_assignment", "close", "approve_answer")
    if action in answering and request.status in transitions.OPEN and request.identity_checked_at is None:
        identified(request)  # the answer may go out: identity is recorded
    if action == "record_identity":
        return lambda actor: workflow.record_identity(
            request, method="email_matches_record", note="Login matches.", actor=actor, now=ACT
        )
    if action == "record_authority":
        Request.objects.filter(pk=request.pk).update(agent_name="Consumer Rights Agent")
        request.refresh_from_db()
        return lambda actor: workflow.record_authority(
            request, method="signed_permission", note="Signed permission seen.", actor=actor, now=ACT
        )
    if action == "attest_authority":
        Request.objects.filter(pk=request.pk).update(agent_name="Consumer Rights Agent")
        request.refresh_from_db()
        return lambda actor: workflow.attest_authority(
            request, attestation="The agent holds the person's signed permission.", actor=actor, now=ACT
        )
    if action == "send_permission":
        Request.objects.filter(pk=request.pk).update(agent_name="Consumer Rights Agent")
        request.refresh_from_db()
        signed = SimpleUploadedFile("permission.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
        return lambda actor: workflow.receive_permission(request, files=[signed], now=ACT, actor=actor)
    if action == "approve_contact":
        hint = open_assignment(request)
        Assignment.objects.filter(pk=hint.pk).update(contact_approved=False, responder_email="dpo@customer.example")
        # As routing does for an address the requester typed: no responder email went out for it.
        OutgoingEmail.objects.filter(key__startswith=f"{request.reference}:assignment:{hint.pk}").delete()
        return lambda actor: workflow.approve_contact(hint, actor=actor, now=ACT)
    if action == "revoke_link":
        link = open_assignment(request)
        return lambda actor: workflow.revoke_responder_link(
            link, reason="Sent to the wrong address.", send_new=True, actor=actor, now=ACT
        )
    if action == "complete_assignment":
        assignment = open_assignment(request)
        # Every other responder has answered already: this answer is the last one and completes the draft.
        for other in request.assignments.filter(status=Assignment.Status.OPEN).exclude(pk=assignment.pk):
            workflow.complete_assignment(other, outcome="Passed on.", actor=ACTORS["responder"], now=LATER)
        return lambda actor: workflow.complete_assignment(assignment, outcome="Erased.", actor=actor, now=ACT)
    if action == "edit_answer":
        return lambda actor: workflow.edit_answer(
            request, cover="Dear Alice, here is our answer.", actor=actor, now=ACT
        )
    if action == "approve_answer":
        return lambda actor: workflow.approve_answer(request, actor=actor, now=ACT)
    if action == "close":
        return lambda actor: workflow.close_request(
            request, status=S.PARTIALLY_COMPLETED, message="Invoices are kept for 6 years.", actor=actor, now=ACT
        )
    if action in ("assign", "reassign"):
        first, second = (team_member(request, name) for name in ("owner-a", "owner-b"))
        if action == "reassign":  # someone else owns it already
            Request.objects.filter(pk=request.pk).update(owner=first)
        return lambda actor: workflow.assign_owner(request, owner=second, actor=actor, now=ACT)
    if action == "mark_spam":
        return lambda actor: workflow.mark_spam(request, reason="Advertising text.", actor=actor, now=ACT)
    if action == "mark_duplicate":
        original = routed(request_type="access")  # Alice's other open request, from the same address
        return lambda actor: workflow.mark_duplicate(
            request, of=original.reference, reason="Same request twice.", actor=actor, now=ACT
        )
    if action == "withdraw":
        return lambda actor: workflow.withdraw_request(request, now=ACT, actor=actor)
    if action == "expire":

        def expire(actor: Actor) -> None:
            with transaction.atomic():
                workflow.expire(workflow.lock(pk=request.pk), now=ACT, actor=actor)

        return expire
    if action == "note":
        return lambda actor: workflow.add_note(request, text="Called the person back.", actor=actor, now=ACT)
    if action == "record_reply":
        return lambda actor: workflow.record_reply(request, text="It is account 4411.", files=[], actor=actor, now=ACT)
    if action in PACKAGE_ACTIONS:
        return prepare_package(action, request)
    raise AssertionError(f"no function for {action}")


PACKAGE_ACTIONS = ("add_to_package", "resend_package_link", "send_package_code", "download_package", "expire_package")


def prepare_package(action: str, request: Request) -> Callable[[Actor], object]:
    """An access request (answered with a package); from the answer on, its package is sealed (and, for the
    expiry, past its days). The download is taken with the code the person was sent."""
    Request.objects.filter(pk=request.pk).update(request_type="access")
    request.refresh_from_db()
    if action == "add_to_package":
        return lambda actor: workflow.add_to_package(
            request, category="account_data", rows=[{"login": "alice"}], actor=actor, now=ACT
        )
    packages.add_rows(request, category="account_data", rows=[{"login": "alice"}], added_by="staff", now=LATER)
    sealed_on = ACT - dt.timedelta(days=30) if action == "expire_package" else LATER
    package = packages.seal(Package.objects.get(request=request), now=sealed_on)
    if action == "resend_package_link":
        return lambda actor: workflow.resend_package_link(request, actor=actor, now=ACT)
    if action == "send_package_code":
        return lambda actor: workflow.send_package_code(request, now=ACT, actor=actor)
    if action == "download_package":
        code = packages.issue_code(package, now=ACT)
        return lambda actor: workflow.download_package(request, code=code, now=ACT, actor=actor)
    return lambda actor: workflow.expire_package(request, now=ACT, actor=actor)


def snapshot() -> tuple[Any, ...]:
    """Everything an action could change: every request, assignment and pause, and the rows appended."""
    return (
        list(Request.objects.order_by("pk").values()),
        list(Assignment.objects.order_by("pk").values()),
        list(Pause.objects.order_by("pk").values()),
        Event.objects.count(),
        OutgoingEmail.objects.count(),
    )


def applicable(t: transitions.Transition, request: Request) -> tuple[set[str], set[str]]:
    """The table's events and emails that apply to what the action did to `request` (now refreshed)."""
    events = {e for e in t.events if e not in CLOSING or e == request.status}
    emails = set(t.emails)
    if t.action == "close" and request.status not in CLOSING:
        # Responders had answered: staff's answer became the draft's cover; nothing goes out before approval.
        return {"answer_drafted"}, set()
    events.discard("answer_drafted")
    if request.status in CLOSING:
        emails -= {"rejected"} if request.status != S.REJECTED else {"completed"}
    if not request.assignments.exists():
        emails -= {"assignment"}
    if not request.assignments.exclude(responder_email="").exists():
        emails -= {"assignment_withdrawn"}
    return events, emails


def preferred_actor(t: transitions.Transition) -> Actor:
    return ACTORS[next(role for role in ROLES if role in t.roles)]


@pytest.mark.parametrize("action", transitions.ACTIONS)
@pytest.mark.parametrize("status", S.values)
def test_the_workflow_does_exactly_what_the_table_says(status: str, action: str) -> None:
    t = transitions.transition(action)
    request = reach(status)
    take = prepare(action, request)
    before = snapshot()
    last_event = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    last_email = OutgoingEmail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    if t.allows(status):
        take(preferred_actor(t))
        request.refresh_from_db()
        assert request.status in t.targets
        events = set(Event.objects.filter(pk__gt=last_event).values_list("kind", flat=True))
        emails = set(OutgoingEmail.objects.filter(pk__gt=last_email).values_list("kind", flat=True))
        assert (events, emails) == applicable(t, request)
        if t.deadlines == "set":
            assert request.due_at is not None
        if t.deadlines == "clear" and request.status not in transitions.OPEN:
            assert request.next_action_at is None
    else:
        if action in IDEMPOTENT:
            with contextlib.suppress(DomainError):
                take(preferred_actor(t))
        else:
            with pytest.raises(DomainError):
                take(preferred_actor(t))
        assert snapshot() == before


@pytest.mark.parametrize(
    ("action", "role"),
    [(a, r) for a in transitions.ACTIONS for r in ROLES if r not in transitions.transition(a).roles],
)
def test_an_actor_the_table_does_not_name_is_refused(action: str, role: Role) -> None:
    """E.g. the person cannot close their request, and staff cannot withdraw it on the person's behalf."""
    t = transitions.transition(action)
    status = next(s for s in S.values if t.allows(s))
    request = reach(status)
    take = prepare(action, request)
    before = snapshot()
    with pytest.raises(DomainError, match="not an action for"):
        take(ACTORS[role])
    assert snapshot() == before


def test_closing_a_closed_request_is_refused_and_the_person_is_not_told_twice() -> None:
    request = reach(S.COMPLETED)
    events = request.events.count()
    with pytest.raises(DomainError, match="already completed"):
        workflow.close_request(request, status=S.REJECTED, message="No data found.", actor=STAFF, now=ACT)
    request.refresh_from_db()
    assert request.status == S.COMPLETED
    assert request.events.count() == events
    assert OutgoingEmail.objects.filter(request=request, kind__in=["completed", "rejected"]).count() == 1


def test_the_matrix_covers_every_status_and_action_with_the_roles_the_table_allows() -> None:
    matrix = transitions.matrix()
    assert set(matrix) == set(S.values)
    for status, row in matrix.items():
        assert tuple(row) == transitions.ACTIONS
        for action, roles in row.items():
            t = transitions.transition(action)
            assert set(roles) == (set(t.roles) if t.allows(status) else set())
    assert matrix[S.IN_PROGRESS]["close"] == ("lead",)
    assert matrix[S.IN_PROGRESS]["pause"] == ("handler", "lead")
    assert matrix[S.COMPLETED]["close"] == ()
    assert matrix[S.SUBMITTED]["withdraw"] == ("subject",)
    # The answer goes out only with a team lead's approval; handlers and leads edit it before.
    assert matrix[S.AWAITING_APPROVAL]["approve_answer"] == ("lead",)
    assert matrix[S.AWAITING_APPROVAL]["edit_answer"] == ("handler", "lead")
    assert matrix[S.AWAITING_APPROVAL]["complete_assignment"] == ()
    assert matrix[S.IN_PROGRESS]["approve_answer"] == ()
    assert matrix[S.COMPLETED]["edit_answer"] == ()
