"""Staff file a request received by post, phone or email on the person's behalf: the clock starts at the
real receipt, the same validation and routing apply, and only the vendor's own team may file for it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from dsr import jobs
from dsr.models import OutgoingEmail, Request, StaffMembership
from dsr.requests import workflow
from dsr.requests.errors import DomainError
from dsr.requests.intake import Submission, file_on_behalf
from dsr.requests.timeline import Actor
from policies.models import Vendor
from tests.factories import RECEIVED, verified

pytestmark = pytest.mark.usefixtures("policies")

# A letter that reached the vendor on RECEIVED, opened and filed by staff three days later.
FILED = RECEIVED + dt.timedelta(days=3)
LETTER = Submission(
    vendor_slug="leadsment",
    request_type="erasure",
    relationships=["account_user"],
    country="FI",
    state="",
    subject_name="Aino Korhonen",
    email="aino@example.com",
    details="Letter dated 29 January.",
    language="fi",
)


def member(name: str, vendor: str, role: str = StaffMembership.Role.HANDLER) -> Any:
    user = get_user_model().objects.create_user(name, f"{name}@example.org", "pw", is_staff=True)
    StaffMembership.objects.create(user=user, vendor=Vendor.objects.get(slug=vendor), role=role)
    return user


@pytest.fixture
def handler(db: None) -> Any:
    return member("konsta", "leadsment")


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The background work queued after commit (by task name)."""
    sent: list[str] = []
    monkeypatch.setattr(jobs, "enqueue", lambda task, *args, queue=None: sent.append(task))
    return sent


def test_a_letter_verified_by_other_means_counts_from_its_receipt_and_is_routed(
    handler: Any, queued: list[str], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        request = file_on_behalf(
            LETTER,
            received_at=RECEIVED,
            channel="post",
            email_verified_by="The letter gives this address; the person confirmed it by phone.",
            actor=Actor.staff(handler, "handler"),
            now=FILED,
        )
    # The clock started when the letter arrived, not when staff typed it in: the same due date as the
    # same request filed online at that moment.
    online = verified(now=RECEIVED, email="online@example.com")
    assert request.received_at == RECEIVED
    assert request.due_at == online.due_at
    assert request.status == Request.Status.VERIFIED and request.verified_at == FILED
    # No link to click: the acknowledgement goes out, the verification email does not, routing is queued.
    assert set(OutgoingEmail.objects.filter(request=request).values_list("kind", flat=True)) == {"acknowledged"}
    assert "route_request_task" in queued
    routed = workflow.route_request(request.pk, now=FILED)
    assert routed.status == Request.Status.IN_PROGRESS and routed.assignments.exists()

    submitted, confirmed = request.events.get(kind="submitted"), request.events.get(kind="verified")
    for event in (submitted, confirmed):
        assert event.actor_user == handler
        assert event.at == FILED
    assert "by post" in submitted.message and "konsta" in submitted.message
    assert "confirmed it by phone" in confirmed.message
    assert submitted.data["channel"] == "post"


def test_a_phone_request_with_an_unproven_email_waits_for_the_link(handler: Any) -> None:
    request = file_on_behalf(
        LETTER,
        received_at=RECEIVED,
        channel="phone",
        email_verified_by=None,
        actor=Actor.staff(handler, "handler"),
        now=FILED,
    )
    assert request.status == Request.Status.SUBMITTED and request.due_at is None
    verify = OutgoingEmail.objects.get(request=request)
    assert verify.kind == "verify" and verify.to == "aino@example.com" and verify.language == "fi"
    assert "by phone" in request.events.get(kind="submitted").message


def test_a_handler_of_another_vendor_cannot_file_for_this_one(db: None) -> None:
    outsider = member("siiri", "sera-leads", StaffMembership.Role.LEAD)
    with pytest.raises(DomainError, match="Only staff of Leadsment"):
        file_on_behalf(
            LETTER,
            received_at=RECEIVED,
            channel="email",
            email_verified_by="It came from this address.",
            actor=Actor.staff(outsider, "lead"),
            now=FILED,
        )
    assert not Request.objects.exists()


@pytest.mark.parametrize(
    ("received_at", "refusal"),
    [
        (FILED + dt.timedelta(minutes=5), "in the future"),
        (dt.datetime(2025, 12, 31, 12, tzinfo=dt.UTC), "before Leadsment's first policy"),
    ],
)
def test_a_receipt_in_the_future_or_before_the_first_policy_is_refused(
    handler: Any, received_at: dt.datetime, refusal: str
) -> None:
    with pytest.raises(DomainError, match=refusal):
        file_on_behalf(
            LETTER,
            received_at=received_at,
            channel="post",
            email_verified_by=None,
            actor=Actor.staff(handler, "handler"),
            now=FILED,
        )
    assert not Request.objects.exists()


def test_staff_file_a_letter_in_the_admin_for_their_own_vendors_only(handler: Any) -> None:
    client = Client()
    client.force_login(handler)
    assert "/admin/dsr/request/file/" in client.get("/admin/dsr/request/").content.decode()
    choose = client.get("/admin/dsr/request/file/").content.decode()
    assert "/admin/dsr/request/file/leadsment/" in choose
    assert "/admin/dsr/request/file/sera-leads/" not in choose
    assert client.get("/admin/dsr/request/file/sera-leads/").status_code == 404

    form = {
        "receipt-received_at": "2026-01-31T10:00",
        "receipt-channel": "post",
        "receipt-language": "de",
        "receipt-email_check": "other",
        "receipt-email_note": "Signed letter from this address.",
        "person-request_type": "erasure",
        "person-relationship": "account_user",
        "person-country": "FI",
        "person-subject_name": "Aino Korhonen",
        "person-email": "aino@example.com",
    }
    missing_note = client.post("/admin/dsr/request/file/leadsment/", {**form, "receipt-email_note": ""})
    assert "Say how the email address was verified." in missing_note.content.decode()
    bad_country = client.post("/admin/dsr/request/file/leadsment/", {**form, "person-country": "US"})
    assert bad_country.status_code == 200  # the public form's rule: a US resident names their state
    assert not Request.objects.exists()

    response = client.post("/admin/dsr/request/file/leadsment/", form)
    request = Request.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/dsr/request/{request.pk}/change/"
    assert request.received_at == RECEIVED and request.language == "de"
    assert request.status == Request.Status.VERIFIED
    assert request.events.get(kind="verified").actor_user == handler
