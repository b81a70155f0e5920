"""Outgoing email in the staff admin: staff see only their vendors' mail, superusers see all; opening an email
puts on its request's timeline who read the person's data, as opening the request does."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client

from dsr.models import OutgoingEmail, Request, StaffMembership
from dsr.requests import audit, workflow
from policies.models import Vendor
from tests.factories import LATER, STAFF, filed, identified, routed
from tests.staff import member

pytestmark = pytest.mark.usefixtures("policies")

LIST = "/admin/dsr/outgoingemail/"


def logged_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def verify_email_of(request: Request) -> OutgoingEmail:
    return OutgoingEmail.objects.get(request=request, kind="verify")


@pytest.fixture
def sera_staff() -> Client:
    user = get_user_model().objects.create_user("sera-staff", "s@example.org", "pw", is_staff=True)
    StaffMembership.objects.create(user=user, vendor=Vendor.objects.get(slug="sera-leads"))
    return logged_in(user)


def test_staff_see_only_their_vendors_outgoing_email(sera_staff: Client) -> None:
    ours = verify_email_of(filed(vendor_slug="sera-leads", country="EE"))
    theirs = verify_email_of(filed(vendor_slug="leadsment", country="FI", email="aino@example.com"))

    listing = sera_staff.get(LIST).content.decode()
    assert f"{LIST}{ours.pk}/change/" in listing
    assert f"{LIST}{theirs.pk}/change/" not in listing
    assert "aino@example.com" not in listing

    assert sera_staff.get(f"{LIST}{ours.pk}/change/").status_code == 200
    assert sera_staff.get(f"{LIST}{theirs.pk}/change/").status_code in (302, 404)

    found = sera_staff.get(LIST, {"q": theirs.key}).content.decode()
    assert f"{LIST}{theirs.pk}/change/" not in found
    assert "aino@example.com" not in found


def test_a_superuser_sees_every_vendors_outgoing_email() -> None:
    admin = logged_in(get_user_model().objects.create_superuser("root", "r@example.org", "pw"))
    ours = verify_email_of(filed(vendor_slug="sera-leads", country="EE"))
    theirs = verify_email_of(filed(vendor_slug="leadsment", country="FI", email="aino@example.com"))
    listing = admin.get(LIST).content.decode()
    assert f"{LIST}{ours.pk}/change/" in listing and f"{LIST}{theirs.pk}/change/" in listing
    assert admin.get(f"{LIST}{theirs.pk}/change/").status_code == 200
    assert f"{LIST}{theirs.pk}/change/" in admin.get(LIST, {"q": theirs.key}).content.decode()


def test_opening_an_answer_email_logs_who_read_the_persons_data_once_an_hour_as_the_request_page_does() -> None:
    request = identified(routed())
    workflow.close_request(request, status="completed", message="Your data is deleted.", actor=STAFF, now=LATER)
    answer = OutgoingEmail.objects.get(request=request, kind="completed")
    konsta = member("konsta")
    page = f"{LIST}{answer.pk}/change/"
    start = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        shown = logged_in(konsta).get(page)
        assert shown.status_code == 200
        assert "alice@example.com" in shown.content.decode() and "Your data is deleted." in shown.content.decode()
        assert logged_in(konsta).get(page).status_code == 200  # a reload: no second entry
        assert logged_in(member("olli", vendor="sera-leads")).get(page).status_code in (302, 404)
        assert logged_in(konsta).get(LIST).status_code == 200  # the list, as the requests' list: not a view
    (seen,) = request.events.filter(kind="viewed")
    assert (seen.actor, seen.actor_user_id, seen.at) == ("konsta", konsta.pk, start)
    assert seen.message == f"konsta viewed the person's data (the page of outgoing email {answer.pk}, completed)."
    assert audit.verify_request(request.reference).intact
