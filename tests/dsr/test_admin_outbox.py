"""Outgoing email in the staff admin: staff see only their vendors' mail, superusers see all."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from dsr.models import OutgoingEmail, Request, StaffMembership
from policies.models import Vendor
from tests.factories import filed

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
