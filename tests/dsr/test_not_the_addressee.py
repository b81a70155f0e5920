"""Live links in the outbox, and links used by someone other than their addressee (issue #12, item 8).

Staff reading an outgoing email see every signed link masked, responder links included; and a browser
signed in to the staff admin cannot act through a person's, responder's or agent's link: what a link
does is recorded as its addressee's act.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dsr.models import Assignment, OutgoingEmail, Request, StaffMembership
from dsr.requests.notices import responder_link
from dsr.security.tokens import make_token
from tests.dsr.test_packages import answered, link_of, send_code
from tests.dsr.test_packages import clock as clock  # the fixture: the package pages read the real clock
from tests.factories import filed, routed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("policies")]


def staff_browser(request: Request) -> Client:
    user = get_user_model().objects.create_user("lead", "lead@example.org", is_staff=True)
    StaffMembership.objects.create(user=user, vendor_id=request.vendor_id, role="lead")
    client = Client()
    client.force_login(user)
    return client


def test_a_staff_browser_cannot_confirm_a_persons_email() -> None:
    request = filed()
    response = staff_browser(request).post(f"/verify/{make_token('verify', request.reference)}/")
    assert response.status_code == 403 and "Not your link" in response.content.decode()
    request.refresh_from_db()
    assert request.status == Request.Status.SUBMITTED and request.verified_at is None


def test_a_staff_browser_cannot_withdraw_a_persons_request() -> None:
    request = routed()
    link = f"/status/{make_token('status', request.reference)}/"
    assert staff_browser(request).post(link, {"confirm": "on"}).status_code == 403
    request.refresh_from_db()
    assert request.status == Request.Status.IN_PROGRESS
    assert not request.events.filter(kind="withdrawn").exists()
    # The person, in their own browser, can.
    assert Client().post(link, {"confirm": "on"}).status_code == 302


def test_a_staff_browser_cannot_answer_as_the_responder() -> None:
    request = routed()
    assignment = request.assignments.get(action="fulfil")
    link = responder_link(request, assignment)
    assert staff_browser(request).post(link, {"outcome": "Erased."}).status_code == 403
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.OPEN and not request.events.filter(kind="assignment_done").exists()


def test_a_staff_browser_cannot_send_the_agents_permission() -> None:
    request = routed(agent_name="Agent Oy", email="agent@example.com")
    link = f"/authority/{make_token('authority', request.reference)}/"
    upload = SimpleUploadedFile("permission.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
    assert staff_browser(request).post(link, {"permission": upload}).status_code == 403
    assert not request.events.filter(kind="permission_received").exists()


@pytest.mark.usefixtures("clock")
def test_a_staff_browser_can_neither_ask_for_the_code_nor_download_the_persons_answer() -> None:
    """The download is recorded as the person's ("The person downloaded the answer package"): a staff browser
    holding the link gets no code sent and no file, and the record stays true."""
    request = answered()
    link = link_of(request)
    staff = staff_browser(request)
    codes_before = OutgoingEmail.objects.filter(kind="package_code").count()
    assert staff.post(link, {"action": "send"}).status_code == 403
    assert OutgoingEmail.objects.filter(kind="package_code").count() == codes_before
    code = send_code(Client(), link)  # the person asks, in their own browser
    refused = staff.post(link, {"action": "download", "code": code})
    assert refused.status_code == 403 and refused.get("Content-Type", "").startswith("text/html")
    assert not request.events.filter(kind="downloaded").exists()
    # The person, in their own browser, can.
    assert Client().post(link, {"action": "download", "code": code}).status_code == 200
    assert request.events.filter(kind="downloaded", actor="subject").count() == 1


def test_staff_reading_a_responders_email_do_not_see_its_live_link() -> None:
    request = routed(vendor_slug="sera-leads", country="EE")
    staff = staff_browser(request)
    emails = list(OutgoingEmail.objects.filter(request=request, kind="assignment"))
    assert emails
    for email in emails:
        token = email.body_text.split("/respond/")[1].split("/")[0]
        page = staff.get(f"/admin/dsr/outgoingemail/{email.pk}/change/").content.decode()
        assert token not in page and "/respond/[link hidden]/" in page
