"""Failed email is sent again from the admin (one or many), by staff of that vendor only, each retry in the
request's timeline; and staff reading an email never see the person's live link."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from dsr.models import OutgoingEmail, Request, StaffMembership
from dsr.requests.mail import retry_failed
from dsr.security.tokens import make_token
from policies.models import Vendor
from tests.factories import LATER, filed, verified

pytestmark = pytest.mark.usefixtures("policies")

LIST = "/admin/dsr/outgoingemail/"


def member(name: str, vendor: str) -> Any:
    user = get_user_model().objects.create_user(name, f"{name}@example.org", "pw", is_staff=True)
    StaffMembership.objects.create(user=user, vendor=Vendor.objects.get(slug=vendor))
    return user


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def failed(request: Request, kind: str = "verify") -> OutgoingEmail:
    """The request's email, as the sender leaves it after its last try."""
    email = OutgoingEmail.objects.get(request=request, kind=kind)
    OutgoingEmail.objects.filter(pk=email.pk).update(
        status=OutgoingEmail.Status.FAILED, attempts=6, last_error="550 mailbox unavailable"
    )
    email.refresh_from_db()
    return email


@pytest.fixture
def sera_handler(db: None) -> Any:
    return member("siiri", "sera-leads")


def test_retrying_puts_a_failed_email_back_in_the_queue_and_says_who(sera_handler: Any) -> None:
    request = filed(vendor_slug="sera-leads", country="EE")
    email = failed(request)

    assert retry_failed(sera_handler, [email.pk], now=LATER) == 1

    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.QUEUED
    assert email.attempts == 6  # kept: the history of tries is not rewritten
    assert email.next_attempt_at == LATER
    event = request.events.get(kind="email_retried")
    assert event.actor_user == sera_handler
    assert "siiri" in event.message
    # Retrying again does nothing more: it is no longer failed.
    assert retry_failed(sera_handler, [email.pk], now=LATER) == 0
    assert request.events.filter(kind="email_retried").count() == 1


def test_another_vendors_failed_email_is_not_retried(sera_handler: Any) -> None:
    theirs = failed(filed(vendor_slug="leadsment", country="FI"))
    assert retry_failed(sera_handler, [theirs.pk], now=LATER) == 0
    theirs.refresh_from_db()
    assert theirs.status == OutgoingEmail.Status.FAILED
    assert not Request.objects.get(pk=theirs.request_id).events.filter(kind="email_retried").exists()


def test_staff_retry_many_from_the_list_and_one_from_its_page(sera_handler: Any) -> None:
    client = logged_in(sera_handler)
    first = failed(filed(vendor_slug="sera-leads", country="EE"))
    second = failed(filed(vendor_slug="sera-leads", country="EE", email="bob@example.com"))
    sent = OutgoingEmail.objects.get(
        request=verified(vendor_slug="sera-leads", country="EE", email="c@example.com"), kind="verify"
    )
    OutgoingEmail.objects.filter(pk=sent.pk).update(status=OutgoingEmail.Status.SENT)
    theirs = failed(filed(vendor_slug="leadsment", country="FI", email="aino@example.com"))

    response = client.post(
        LIST,
        {"action": "retry", "_selected_action": [first.pk, second.pk, sent.pk, theirs.pk]},
        follow=True,
    )
    assert "2 failed emails queued again." in response.content.decode()
    statuses = dict(
        OutgoingEmail.objects.filter(pk__in=[first.pk, second.pk, sent.pk, theirs.pk]).values_list("pk", "status")
    )
    assert statuses == {first.pk: "queued", second.pk: "queued", sent.pk: "sent", theirs.pk: "failed"}

    third = failed(filed(vendor_slug="sera-leads", country="EE", email="dan@example.com"))
    page = client.get(f"{LIST}{third.pk}/change/").content.decode()
    assert f"{LIST}{third.pk}/retry/" in page
    response = client.post(f"{LIST}{third.pk}/retry/", follow=True)
    assert "1 failed email queued again." in response.content.decode()
    third.refresh_from_db()
    assert third.status == OutgoingEmail.Status.QUEUED
    assert f"{LIST}{third.pk}/retry/" not in client.get(f"{LIST}{third.pk}/change/").content.decode()
    # Another vendor's email cannot be retried by its address.
    assert client.post(f"{LIST}{theirs.pk}/retry/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == OutgoingEmail.Status.FAILED


def test_staff_reading_an_email_do_not_see_the_persons_live_link(sera_handler: Any) -> None:
    client = logged_in(sera_handler)
    request = verified(vendor_slug="sera-leads", country="EE")
    status_link = f"/status/{make_token('status', request.reference)}/"
    acknowledged = OutgoingEmail.objects.get(request=request, kind="acknowledged")
    assert status_link in acknowledged.body_text  # the person's email carries the live link
    verify = OutgoingEmail.objects.get(request=request, kind="verify")
    assert verify.context is not None  # not yet rendered: the link is in the template's context

    verify_link = verify.context["link"]
    for email, link in ((acknowledged, status_link), (verify, verify_link)):
        page = client.get(f"{LIST}{email.pk}/change/").content.decode()
        assert link.split("/")[2] not in page
        assert f"/{link.split('/')[1]}/[link hidden]/" in page
