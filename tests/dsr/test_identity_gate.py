"""Identity (and an agent's authority) before disclosure: no answer that discloses or changes data goes to
the person until staff record how they made sure who asks; an address the requester typed for the
controller gets no responder link until staff approve it; only a team lead answers, extends or rejects."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from dsr.models import Assignment, OutgoingEmail, Request
from dsr.requests import workflow
from dsr.requests.errors import DomainError
from dsr.requests.notices import subject_context
from dsr.requests.timeline import Actor
from dsr.security.tokens import make_token
from policies import vocabulary
from tests.factories import LATER, STAFF, identified, routed

pytestmark = pytest.mark.usefixtures("policies")

HANDLER = Actor("handler", "handler")
ACT = LATER + dt.timedelta(days=1)


def answered(request: Request) -> Request:
    request.refresh_from_db()
    return request


@pytest.mark.parametrize("request_type", list(vocabulary.REQUEST_TYPES))
def test_no_answer_discloses_or_changes_data_before_identity_is_recorded(request_type: str) -> None:
    """GDPR Art 12(6), 11(2) (proportionate checks) and 11 CCR 7060-7062: nothing is disclosed unchecked."""
    request = routed(request_type=request_type, email=f"{request_type}@example.com")
    gated = request_type in vocabulary.IDENTITY_GATED_TYPES
    if gated:
        with pytest.raises(DomainError, match="identity check"):
            workflow.close_request(request, status="completed", message="Here is your data.", actor=STAFF, now=ACT)
        assert answered(request).status == "in_progress"
        assert not OutgoingEmail.objects.filter(request=request, kind="completed").exists()
        identified(request)
    workflow.close_request(request, status="completed", message="Done as asked.", actor=STAFF, now=ACT)
    assert answered(request).status == "completed"
    assert OutgoingEmail.objects.filter(request=request, kind="completed").count() == 1


def test_when_every_responder_has_answered_the_answer_still_waits_for_the_identity_check() -> None:
    request = routed(request_type="access")
    for assignment in request.assignments.all():
        workflow.complete_assignment(assignment, outcome="Export attached.", actor=STAFF, now=ACT)
    request = answered(request)
    assert request.status == "awaiting_approval"
    assert "the identity check to be recorded" in request.events.get(kind="answer_ready").message
    with pytest.raises(DomainError, match="identity check"):
        workflow.approve_answer(request, actor=STAFF, now=ACT)
    assert answered(request).status == "awaiting_approval"
    assert not OutgoingEmail.objects.filter(request=request, kind="completed").exists()
    assert not request.events.filter(kind="answer_approved").exists()
    identified(request, now=ACT)
    workflow.approve_answer(request, actor=STAFF, now=ACT)
    assert answered(request).status == "completed"
    assert OutgoingEmail.objects.filter(request=request, kind="completed").count() == 1


def test_an_agents_request_also_waits_for_the_agents_authority() -> None:
    """11 CCR 7063; ICO: a third party must evidence their authority before anything is disclosed."""
    request = routed(request_type="access", agent_name="Consumer Rights Agent", email="agent@example.net")
    workflow.record_identity(request, method="email_matches_record", note="Matched.", actor=HANDLER, now=ACT)
    with pytest.raises(DomainError, match="agent's authority"):
        workflow.close_request(request, status="completed", message="Data.", actor=STAFF, now=ACT)
    workflow.record_authority(request, method="signed_permission", note="Signed 3 Feb.", actor=HANDLER, now=ACT)
    workflow.close_request(request, status="completed", message="Data.", actor=STAFF, now=ACT)
    kinds = list(answered(request).events.values_list("kind", flat=True))
    assert kinds.index("identity_checked") < kinds.index("authority_recorded") < kinds.index("completed")


def test_a_request_that_cannot_be_verified_is_refused_with_reasons_without_the_check() -> None:
    """GDPR Art 11(2), 12(2): refusal where the controller demonstrates it cannot identify the person."""
    request = routed(request_type="access")
    workflow.close_request(
        request, status="rejected", message="We could not confirm who you are.", actor=STAFF, now=ACT
    )
    assert answered(request).status == "rejected"


def test_the_identity_record_says_how_and_what_was_matched() -> None:
    request = routed(request_type="erasure")
    with pytest.raises(DomainError, match="how identity was checked"):
        workflow.record_identity(request, method="gut_feeling", note="x", actor=HANDLER, now=ACT)
    with pytest.raises(DomainError, match="what was matched"):
        workflow.record_identity(request, method="email_matches_record", note=" ", actor=HANDLER, now=ACT)
    workflow.record_identity(request, method="email_matches_record", note="Login of #4411.", actor=HANDLER, now=ACT)
    request = answered(request)
    assert request.identity_checked_at == ACT and request.identity_method == "email_matches_record"
    event = request.events.get(kind="identity_checked")
    assert "Login of #4411." in event.message and event.actor == "handler"
    with pytest.raises(DomainError, match="already recorded"):
        workflow.record_identity(request, method="account_login", note="again", actor=HANDLER, now=ACT)


def test_only_a_team_lead_answers_extends_or_rejects() -> None:
    request = routed(request_type="objection")
    for call in (
        lambda: workflow.close_request(request, status="completed", message="Done.", actor=HANDLER, now=ACT),
        lambda: workflow.close_request(request, status="rejected", message="No.", actor=HANDLER, now=ACT),
        lambda: workflow.extend_request(request, reason="Complex.", actor=HANDLER, now=ACT),
    ):
        with pytest.raises(DomainError, match="not an action for handler"):
            call()
    assert answered(request).status == "in_progress" and not answered(request).extended


def sera_lead_with_a_typed_controller_address() -> tuple[Request, Assignment]:
    request = routed(
        vendor_slug="sera-leads",
        relationships=["customer_data_subject"],
        country="EE",
        request_type="erasure",
        customer_name="Acme OÜ",
        customer_email="privacy@acme.example",
    )
    hint = request.assignments.get(responder_kind="customer")
    return request, hint


def test_a_controller_address_the_requester_typed_gets_no_link_until_staff_approve_it() -> None:
    request, hint = sera_lead_with_a_typed_controller_address()
    assert hint.responder_email == "privacy@acme.example" and not hint.contact_approved
    assert not OutgoingEmail.objects.filter(to="privacy@acme.example").exists()
    link = f"/respond/{make_token('responder', request.reference, assignment_id=hint.pk)}/"
    assert Client().get(link).status_code == 400  # even a leaked or guessed link shows nothing

    workflow.approve_contact(hint, actor=HANDLER, now=ACT)
    (email,) = OutgoingEmail.objects.filter(to="privacy@acme.example", kind="assignment")
    assert "Proven email" in email.body_text and request.subject_email in email.body_text
    assert "Before you disclose or change anything" in email.body_text
    assert Client().get(link).status_code == 200
    assert answered(request).events.filter(kind="contact_approved", actor="handler").exists()
    with pytest.raises(DomainError, match="needs no approval"):
        workflow.approve_contact(hint, actor=HANDLER, now=ACT)


def test_every_responder_email_names_the_proven_address_and_the_matching_required() -> None:
    request = routed(request_type="access", country="US", state="CA", vendor_slug="leadsment")
    for email in OutgoingEmail.objects.filter(request=request, kind="assignment"):
        assert f"Proven email:  {request.subject_email}" in email.body_text
        assert vocabulary.IDENTITY_LEVELS[identified_level(request)] in " ".join(email.body_text.split())


def identified_level(request: Request) -> str:
    return workflow.identity_requirement(request).level


def test_the_receipt_date_in_the_persons_emails_is_the_responders_day_not_utcs() -> None:
    """Filed at 23:30 UTC on 31 January, it was 1 February in Helsinki, where Leadsment answers."""
    late = dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC)
    request = routed(now=late, email="late@example.com")
    (ack,) = OutgoingEmail.objects.filter(request=request, kind="acknowledged")
    assert subject_context(request)["received"] == "2026-02-01"
    assert "2026-01-31" not in ack.body_text


def test_a_withdrawal_is_not_announced_to_a_typed_controller_address_never_written_to() -> None:
    """The requester's own word is not enough to write to an address: not for the task, nor for its end."""
    request, hint = sera_lead_with_a_typed_controller_address()
    workflow.withdraw_request(request, now=ACT)
    assert not OutgoingEmail.objects.filter(to="privacy@acme.example").exists()
    # The vendor's own team, which was sent the task, is told.
    assert OutgoingEmail.objects.filter(kind="assignment_withdrawn").exclude(to="privacy@acme.example").exists()
