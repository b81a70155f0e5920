"""Every responder's answer counts, and a team lead approves what goes out (issue #10, item 2).

Each responder's answer (through its signed link) becomes a part of the draft answer; when the last one is in,
the request waits for a lead's approval and nothing reaches the person; staff edit the parts on the record; a
handler cannot approve; the lead's approval sends the person one email, in their language, with every part,
and a partial part names the records kept and the legal reason quoted from the vendor's policy.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from dsr.engine.routing import RECIPIENTS_BY_KIND
from dsr.models import Answer, AnswerPart, Assignment, Event, OutgoingEmail, Request
from dsr.requests import answers, queue, workflow
from dsr.requests.errors import DomainError
from dsr.requests.notices import responder_link
from dsr.requests.timeline import Actor
from tests.factories import LATER, STAFF, identified, routed

pytestmark = pytest.mark.usefixtures("policies")

S = Request.Status
HANDLER = Actor("handler", "hanna")
LEAD = Actor("lead", "lea")
ACT = LATER + dt.timedelta(days=1)
# Sera's policy on accounting records (policies/data/vendors/sera-leads.yaml), quoted in the partial part.
SEVEN_YEARS = "Certain data (e.g. for accounting or tax purposes) may be retained for up to seven years."
ANSWERS = {
    ("Sera privacy team", "fulfil"): "Your account and its logs are erased.",
    ("Sera privacy team", "assist_controller"): "We passed your request to Acme Oy, whose data it is.",
    ("Acme Oy", "fulfil"): "Acme Oy erased the lead records it held about you.",
    # Sera names its sub-processors only by kind (GDPR Art 19): staff identify and tell them.
    (RECIPIENTS_BY_KIND, "identify_recipients"): "Recipients told: the hosting and AI providers, on 3 Feb.",
}


def three_responders(*, language: str = "de", identify: bool = True) -> Request:
    """Sera: erasure of an account user's data, naming the customer Acme Oy: three responders answer, and staff
    record whom of the recipients named by kind they told (four parts)."""
    request = routed(
        vendor_slug="sera-leads",
        relationships=["account_user"],
        customer_name="Acme Oy",
        customer_email="dpo@acme.example",
        language=language,
    )
    assert {(a.responder_name, a.action) for a in request.assignments.all()} == set(ANSWERS)
    customer = request.assignments.get(responder_kind=Assignment.ResponderKind.CUSTOMER)
    workflow.approve_contact(customer, actor=HANDLER, now=LATER)
    return identified(request) if identify else request


def answer_through_the_links(client: Client, request: Request) -> None:
    for assignment in request.assignments.order_by("pk"):
        response = client.post(
            responder_link(request, assignment), {"outcome": ANSWERS[(assignment.responder_name, assignment.action)]}
        )
        assert response.status_code == 302


def to_the_person(request: Request) -> list[OutgoingEmail]:
    return list(OutgoingEmail.objects.filter(request=request, kind__in=["completed", "rejected"]))


def test_three_responders_answers_reach_the_person_whole_only_after_a_leads_approval(client: Client) -> None:
    request = three_responders()
    answer_through_the_links(client, request)
    request.refresh_from_db()

    # Every responder answered: nothing went to the person, the request waits for a lead.
    assert request.status == S.AWAITING_APPROVAL and request.closed_at is None
    assert to_the_person(request) == []
    assert queue.request_state(request, ACT).label == "Answer awaiting approval"
    assert sorted(p.text for p in answers.parts_of(request)) == sorted(ANSWERS.values())

    with pytest.raises(DomainError, match="not an action for handler"):
        workflow.approve_answer(request, actor=HANDLER, now=ACT)
    request.refresh_from_db()
    assert request.status == S.AWAITING_APPROVAL and to_the_person(request) == []

    workflow.approve_answer(request, actor=LEAD, now=ACT)
    request.refresh_from_db()
    assert request.status == S.PARTIALLY_COMPLETED and request.closed_at == ACT
    (mail,) = to_the_person(request)
    assert mail.to == request.subject_email and mail.language == "de"
    for text in ANSWERS.values():
        assert text in mail.body_text and text in mail.body_html
    assert "Teil 1 von 4: Sera privacy team" in mail.body_text  # in the person's language
    assert "Teil 3 von 4: Acme Oy" in mail.body_text
    assert "Teilweise erledigt" in mail.body_text
    approved = request.events.get(kind="answer_approved")
    assert approved.actor == "lea" and "4 parts" in approved.message
    assert request.answer.approved_by_label == "lea" and request.answer.approved_at == ACT


def test_a_partial_part_states_the_records_kept_and_the_legal_reason_with_its_source(client: Client) -> None:
    request = three_responders(language="en")
    answer_through_the_links(client, request)
    (partial,) = [p for p in answers.parts_of(request) if p.partial]
    assert partial.assignment.responder_name == "Sera privacy team" and partial.assignment.action == "fulfil"
    (kept,) = partial.kept
    assert kept["category"] == "Accounting and tax records"
    assert kept["passage"] == SEVEN_YEARS
    assert kept["source"] == "Sera Privacy Policy, in force from 2026-01-11"
    assert "seven years" in kept["records"]

    workflow.approve_answer(request, actor=LEAD, now=ACT)
    (mail,) = to_the_person(request)
    assert "has been partly completed" in mail.body_text
    assert "Partly done: some records are kept" in mail.body_text
    assert f"Kept: {kept['records']} (Accounting and tax records)." in mail.body_text
    assert f"Why: {kept['reason']}." in mail.body_text
    assert (
        f"The legal reason, in the words of the privacy policy: “{SEVEN_YEARS}” "
        "(Sera Privacy Policy, in force from 2026-01-11)" in mail.body_text
    )
    # The other three parts keep nothing and say so.
    assert mail.body_text.count("Kept:") == 1
    assert mail.body_text.count("\nDone\n") == 3


def test_staff_edits_are_what_the_person_reads_and_each_is_on_the_record(client: Client) -> None:
    request = three_responders(language="en")
    answer_through_the_links(client, request)
    part = AnswerPart.objects.get(answer__request=request, assignment__responder_name="Acme Oy")
    edited = "Acme Oy erased the lead records it held about you on 3 February."
    workflow.edit_answer(
        request, parts={part.pk: edited}, cover="Here is the whole answer to your request.", actor=HANDLER, now=ACT
    )

    edits = list(request.events.filter(kind="answer_edited").order_by("pk"))
    assert [(e.actor, e.data.get("before"), e.data.get("after")) for e in edits] == [
        ("hanna", ANSWERS[("Acme Oy", "fulfil")], edited),
        ("hanna", "", "Here is the whole answer to your request."),
    ]
    part.refresh_from_db()
    assert (part.text, part.edited_by_label, part.edited_at) == (edited, "hanna", ACT)
    assert part.assignment.outcome == ANSWERS[("Acme Oy", "fulfil")]  # the responder's own words are kept
    with pytest.raises(DomainError, match="Nothing was changed"):
        workflow.edit_answer(request, parts={part.pk: edited}, actor=HANDLER, now=ACT)
    with pytest.raises(DomainError, match="cannot be empty"):
        workflow.edit_answer(request, parts={part.pk: "  "}, actor=HANDLER, now=ACT)

    workflow.approve_answer(request, actor=LEAD, now=ACT)
    (mail,) = to_the_person(request)
    assert edited in mail.body_text and ANSWERS[("Acme Oy", "fulfil")] + "\n" not in mail.body_text
    assert "Here is the whole answer to your request." in mail.body_text
    with pytest.raises(DomainError, match="cannot be edited"):
        workflow.edit_answer(request, cover="Too late.", actor=LEAD, now=ACT)


def test_another_requests_part_cannot_be_edited_through_this_one(client: Client) -> None:
    request = three_responders(language="en")
    answer_through_the_links(client, request)
    other = routed(request_type="access", email="bob@example.com")
    (assignment,) = other.assignments.all()
    workflow.complete_assignment(assignment, outcome="Export sent.", actor=STAFF, now=LATER)
    foreign = AnswerPart.objects.get(assignment=assignment)
    with pytest.raises(DomainError, match="not in this request's answer"):
        workflow.edit_answer(request, parts={foreign.pk: "Changed."}, actor=HANDLER, now=ACT)
    foreign.refresh_from_db()
    assert foreign.text == "Export sent."


def test_approval_is_refused_before_identity_is_recorded(client: Client) -> None:
    request = three_responders(identify=False)
    answer_through_the_links(client, request)
    request.refresh_from_db()
    assert request.status == S.AWAITING_APPROVAL
    assert "the identity check to be recorded" in request.events.get(kind="answer_ready").message
    with pytest.raises(DomainError, match="identity check"):
        workflow.approve_answer(request, actor=LEAD, now=ACT)
    request.refresh_from_db()
    assert request.status == S.AWAITING_APPROVAL and to_the_person(request) == []
    assert Answer.objects.get(request=request).approved_at is None
    assert queue.request_state(request, ACT).label == "Waiting for identity"


def test_every_step_of_the_answer_is_on_the_timeline(client: Client) -> None:
    request = three_responders(language="en")
    answer_through_the_links(client, request)
    part = answers.parts_of(request)[0]
    workflow.edit_answer(request, parts={part.pk: "Erased, as asked."}, actor=HANDLER, now=ACT)
    workflow.approve_answer(request, actor=LEAD, now=ACT)
    steps = [
        (e.kind, e.actor)
        for e in Event.objects.filter(request=request, at__gte=LATER).order_by("pk")
        if e.kind in {"assignment_done", "answer_ready", "answer_edited", "answer_approved", "partially_completed"}
    ]
    assert steps == [
        ("assignment_done", "responder: Sera privacy team"),
        ("assignment_done", "responder: Sera privacy team"),
        ("assignment_done", "responder: Acme Oy"),
        ("assignment_done", f"responder: {RECIPIENTS_BY_KIND}"),
        ("answer_ready", f"responder: {RECIPIENTS_BY_KIND}"),
        ("answer_edited", "hanna"),
        ("answer_approved", "lea"),
        ("partially_completed", "lea"),
    ]
    kept = request.events.filter(kind="assignment_done", data__partial=True).get()
    assert "Kept under a legal obligation: Accounting and tax records" in kept.message


def test_a_leads_answer_by_hand_goes_through_the_draft_and_the_approval_with_every_part() -> None:
    request = identified(routed(vendor_slug="sera-leads", relationships=["account_user"]))
    first, *rest = request.assignments.order_by("pk")
    workflow.complete_assignment(first, outcome="Your account is erased.", actor=STAFF, now=LATER)
    workflow.close_request(request, status=S.COMPLETED, message="We have finished.", actor=LEAD, now=ACT)
    request.refresh_from_db()
    assert request.status == S.AWAITING_APPROVAL and to_the_person(request) == []
    for other in rest:  # no longer waited for
        other.refresh_from_db()
        assert other.status == Assignment.Status.NOT_APPLICABLE
    assert request.answer.cover == "We have finished."
    workflow.approve_answer(request, actor=LEAD, now=ACT)
    (mail,) = to_the_person(request)
    assert "We have finished." in mail.body_text and "Your account is erased." in mail.body_text


def test_a_rejection_still_goes_out_at_once_without_the_parts() -> None:
    request = routed(vendor_slug="sera-leads", relationships=["account_user"])
    first = request.assignments.order_by("pk").first()
    assert first is not None
    workflow.complete_assignment(first, outcome="Your account is erased.", actor=STAFF, now=LATER)
    workflow.close_request(request, status=S.REJECTED, message="We cannot verify who you are.", actor=LEAD, now=ACT)
    request.refresh_from_db()
    assert request.status == S.REJECTED
    (mail,) = to_the_person(request)
    assert mail.kind == "rejected" and "Your account is erased." not in mail.body_text


def test_the_last_answer_during_a_pause_waits_for_the_person_then_for_the_lead() -> None:
    request = identified(routed(request_type="access"))
    workflow.pause_request(
        request, kind="clarification", on=LATER.date(), reason="Which account?", actor=STAFF, now=LATER
    )
    (assignment,) = request.assignments.all()
    workflow.complete_assignment(assignment, outcome="Export sent.", actor=STAFF, now=LATER)
    request.refresh_from_db()
    assert request.status == S.AWAITING_SUBJECT
    workflow.resume_request(request, on=ACT.date(), actor=STAFF, now=ACT)
    request.refresh_from_db()
    assert request.status == S.AWAITING_APPROVAL and to_the_person(request) == []


# --- the staff request page ------------------------------------------------------------------------


def team(username: str, role: str) -> Client:
    from django.contrib.auth import get_user_model

    from dsr.models import StaffMembership
    from policies.models import Vendor

    user = get_user_model().objects.create_user(username, f"{username}@example.org", "pw", is_staff=True)
    StaffMembership.objects.create(user=user, vendor=Vendor.objects.get(slug="sera-leads"), role=role)
    client = Client()
    client.force_login(user)
    return client


def test_staff_see_the_parts_side_by_side_a_handler_edits_and_only_a_lead_approves(client: Client) -> None:
    request = three_responders(language="en")
    answer_through_the_links(client, request)
    handler, lead = team("hanna", "handler"), team("lea", "lead")
    page = handler.get(f"/admin/dsr/request/{request.pk}/change/").content.decode()
    assert page.count("data-part=") == 4 and "waiting for a team lead's approval" in page
    assert SEVEN_YEARS in page
    assert "/act/edit_answer/" in page and "/act/approve_answer/" not in page

    part = AnswerPart.objects.get(answer__request=request, assignment__responder_name="Acme Oy")
    form = handler.get(f"/admin/dsr/request/{request.pk}/act/edit_answer/").content.decode()
    assert form.count("<textarea") == 5  # the cover and one box per part
    fields = {f"part_{p.pk}": p.text for p in answers.parts_of(request)}
    response = handler.post(
        f"/admin/dsr/request/{request.pk}/act/edit_answer/",
        {**fields, f"part_{part.pk}": "Acme Oy erased your lead records.", "cover": ""},
    )
    assert response.status_code == 302
    part.refresh_from_db()
    assert part.text == "Acme Oy erased your lead records." and part.edited_by_label == "hanna"

    refused = handler.post(f"/admin/dsr/request/{request.pk}/act/approve_answer/", {"confirm": "on"})
    assert refused.status_code == 302 and to_the_person(request) == []
    unconfirmed = lead.post(f"/admin/dsr/request/{request.pk}/act/approve_answer/", {})
    assert unconfirmed.status_code == 200 and to_the_person(request) == []
    assert lead.post(f"/admin/dsr/request/{request.pk}/act/approve_answer/", {"confirm": "on"}).status_code == 302
    (mail,) = to_the_person(request)
    assert "Acme Oy erased your lead records." in mail.body_text
    request.refresh_from_db()
    assert request.status == S.PARTIALLY_COMPLETED
    assert request.events.get(kind="answer_approved").actor == "lea"
