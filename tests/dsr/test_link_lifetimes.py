"""Long-lived bearer links end (issue #12, item 9).

A responder link shows the person's name, proven email and what they wrote: it works while its task is
open and until staff revoke it, never after the request closed. A status link stops working once the
request's own retention has ended and its personal data is erased.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from dsr.models import Assignment, OutgoingEmail, Request, StaffMembership
from dsr.privacy import retention
from dsr.requests import workflow
from dsr.requests.errors import DomainError
from dsr.requests.notices import responder_link
from dsr.security.tokens import LINK_PATH, make_token
from tests.factories import LATER, STAFF, routed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("policies")]

NAME, EMAIL, DETAILS = "Paula Privaat", "paula@example.com", "My account is paula-77."


def request_with_a_responder() -> tuple[Request, Assignment]:
    request = routed(subject_name=NAME, email=EMAIL, details=DETAILS)
    return request, request.assignments.get(action="fulfil")


def page(client: Client, link: str) -> tuple[int, str]:
    response = client.get(link)
    return response.status_code, html.unescape(response.content.decode())


def shows_no_personal_data(text: str) -> bool:
    return NAME not in text and EMAIL not in text and DETAILS not in text


def emailed_links(assignment: Assignment) -> list[str]:
    rows = OutgoingEmail.objects.filter(key__startswith=f"{assignment.request.reference}:assignment:{assignment.pk}")
    return [m.group(0) + "/" for row in rows.order_by("pk") for m in [LINK_PATH.search(row.body_text)] if m]


def test_a_revoked_responder_link_stops_working_and_the_new_one_works(client: Client) -> None:
    request, assignment = request_with_a_responder()
    (old,) = emailed_links(assignment)
    assert page(client, old)[0] == 200
    workflow.revoke_responder_link(assignment, reason="Sent to a shared inbox.", send_new=True, actor=STAFF, now=LATER)
    status, text = page(client, old)
    assert status == 410 and "no longer works" in text and shows_no_personal_data(text)
    assert client.post(old, {"outcome": "Erased."}).status_code == 410
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.OPEN  # the old link recorded nothing
    old_again, new = emailed_links(assignment)
    assert old_again == old and new != old
    status, text = page(client, new)
    assert status == 200 and EMAIL in text
    event = request.events.get(kind="link_revoked")
    assert "Sent to a shared inbox." in event.message and event.data["new_link"] is True


def test_a_second_revocation_also_ends_the_link_sent_after_the_first(client: Client) -> None:
    """Each revocation ends every link signed so far, the replacement sent after an earlier one included."""
    _, assignment = request_with_a_responder()
    workflow.revoke_responder_link(assignment, reason="Shared inbox.", send_new=True, actor=STAFF, now=LATER)
    _, second = emailed_links(assignment)
    workflow.revoke_responder_link(assignment, reason="Forwarded again.", send_new=True, actor=STAFF, now=LATER)
    first, second_again, third = emailed_links(assignment)
    assert second_again == second and len({first, second, third}) == 3
    assert page(client, first)[0] == 410 and page(client, second)[0] == 410
    assert page(client, third)[0] == 200


def test_revoking_needs_a_reason_and_says_so() -> None:
    _, assignment = request_with_a_responder()
    with pytest.raises(DomainError, match="Say why the link is revoked."):
        workflow.revoke_responder_link(assignment, reason="  ", send_new=True, actor=STAFF, now=LATER)


def test_revoking_without_a_new_link_sends_nothing() -> None:
    _, assignment = request_with_a_responder()
    workflow.revoke_responder_link(assignment, reason="Responder left.", send_new=False, actor=STAFF, now=LATER)
    assert len(emailed_links(assignment)) == 1
    assignment.refresh_from_db()
    assert Client().get(responder_link(assignment.request, assignment)).status_code == 200


def test_a_link_of_an_ended_task_shows_nothing_of_the_person(client: Client) -> None:
    request, assignment = request_with_a_responder()
    link = responder_link(request, assignment)
    workflow.withdraw_request(request, now=LATER)
    status, text = page(client, link)
    assert status == 410 and shows_no_personal_data(text)


def test_an_answered_task_thanks_the_responder_without_showing_the_person_again(client: Client) -> None:
    request, assignment = request_with_a_responder()
    link = responder_link(request, assignment)
    assert client.post(link, {"outcome": "Erased the account."}).status_code == 302
    status, text = page(client, link)
    assert status == 200 and "Thank you" in text and shows_no_personal_data(text)


def test_a_closed_assignment_cannot_be_revoked_and_a_closed_request_refuses_it() -> None:
    request, assignment = request_with_a_responder()
    workflow.withdraw_request(request, now=LATER)
    with pytest.raises(DomainError):
        workflow.revoke_responder_link(assignment, reason="x", send_new=True, actor=STAFF, now=LATER)


def test_staff_revoke_a_link_from_the_request_page() -> None:
    request, assignment = request_with_a_responder()
    old = responder_link(request, assignment)
    user = get_user_model().objects.create_user("handler", "h@example.org", is_staff=True)
    StaffMembership.objects.create(user=user, vendor_id=request.vendor_id, role="handler")
    staff = Client()
    staff.force_login(user)
    change = staff.get(f"/admin/dsr/request/{request.pk}/change/").content.decode()
    assert "Revoke a responder&#x27;s link" in change or "Revoke a responder's link" in change
    url = f"/admin/dsr/request/{request.pk}/act/revoke_link/"
    response = staff.post(url, {"assignment": assignment.pk, "reason": "Wrong inbox.", "send_new": "on"})
    assert response.status_code == 302
    assert Client().get(old).status_code == 410


def test_a_status_link_stops_working_when_the_requests_retention_ends(client: Client) -> None:
    request = routed(subject_name=NAME, email=EMAIL)
    workflow.withdraw_request(request, now=LATER)
    link = f"/status/{make_token('status', request.reference)}/"
    assert page(client, link)[0] == 200
    request.refresh_from_db()
    assert request.closed_at is not None
    assert retention.purge_closed(now=request.closed_at + retention.CLOSED_RETENTION + dt.timedelta(days=1)) == 1
    status, text = page(client, link)
    assert status == 410 and "expired" in text and request.reference not in text
    assert re.search(r"DSR-[A-Z0-9]{8}", text) is None
