"""An authorised agent sends the person's signed permission through its own signed link (11 CCR 7063;
ICO: a third party evidences its authority); it lands on the request for staff, in the timeline."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from dsr.models import Attachment, OutgoingEmail, Request
from dsr.requests import workflow
from dsr.security.tokens import make_token
from tests.factories import LATER, STAFF, identified, routed, verified

pytestmark = pytest.mark.usefixtures("policies")

PDF = b"%PDF-1.4\n% signed permission\n"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def permission(name: str = "permission.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def agent_request(**changes: Any) -> Request:
    return verified(agent_name="Consumer Rights Agent", email="agent@example.net", request_type="access", **changes)


def link_of(request: Request) -> str:
    (email,) = OutgoingEmail.objects.filter(request=request, kind="permission_needed")
    assert email.to == "agent@example.net" and email.urgent
    match = re.search(r"/authority/[^/\s]+/", email.body_text)
    assert match, email.body_text
    return match.group(0)


def test_a_confirmed_agents_request_asks_the_agent_for_the_signed_permission() -> None:
    request = agent_request()
    assert "on behalf of Alice Virtanen" in " ".join(
        OutgoingEmail.objects.get(request=request, kind="permission_needed").body_text.split()
    )
    assert Client().get(link_of(request)).status_code == 200
    assert not OutgoingEmail.objects.filter(request=verified(email="self@example.com"), kind="permission_needed")


def test_the_agent_uploads_it_and_staff_find_it_on_the_request() -> None:
    request = agent_request()
    client = Client()
    response = client.post(link_of(request), {"permission": permission()})
    assert response.status_code == 302 and response["Location"].endswith("?received=1")
    (stored,) = Attachment.objects.filter(request=request)
    assert stored.name == "permission.pdf" and stored.file.read() == PDF
    event = request.events.get(kind="permission_received")
    assert event.actor == "agent" and "Consumer Rights Agent" in event.message
    assert "is received" in client.get(response["Location"]).content.decode()
    # Staff then record the authority having seen it; only then the answer may go.
    identified(request)
    request.refresh_from_db()
    assert request.authority_recorded_at is not None


def test_a_link_for_another_purpose_or_a_person_filed_request_is_refused() -> None:
    request = agent_request()
    status_token = make_token("status", request.reference)
    assert Client().post(f"/authority/{status_token}/", {"permission": permission()}).status_code == 400
    own = verified(email="self@example.com")
    token = make_token("authority", own.reference)
    assert Client().post(f"/authority/{token}/", {"permission": permission()}).status_code == 400
    assert not Attachment.objects.exists()


def test_nothing_is_taken_without_a_file_of_the_allowed_kind_or_after_the_request_is_closed() -> None:
    request = agent_request()
    link = link_of(request)
    assert "Attach the permission" in Client().post(link, {}).content.decode()
    exe = SimpleUploadedFile("setup.exe", b"MZ", content_type="application/octet-stream")
    assert Client().post(link, {"permission": exe}).status_code == 400
    workflow.close_request(request, status="rejected", message="Not verified.", actor=STAFF, now=LATER)
    assert Client().post(link, {"permission": permission()}).status_code == 400
    assert not Attachment.objects.exists()


def test_routing_is_not_held_back_while_the_permission_is_awaited() -> None:
    request = routed(agent_name="Consumer Rights Agent", email="agent2@example.net")
    assert request.status == "in_progress"
