"""The staff admin shows requests, vendors and policies read-only, citations beside the facts."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client

from dsr.requests import schedule
from policies.models import PolicyVersion
from tests.factories import noon, routed


@pytest.fixture
def staff_client(db: None) -> Client:
    user = get_user_model().objects.create_superuser("alice-staff", "alice@example.org", "pw-not-used")
    client = Client()
    client.force_login(user)
    return client


def test_a_policy_version_page_shows_each_fact_with_its_citation(policies: None, staff_client: Client) -> None:
    version = PolicyVersion.objects.get(vendor__slug="leadsment")
    page = staff_client.get(f"/admin/policies/policyversion/{version.pk}/change/").content.decode()
    assert "We respond within 30 days, typically much sooner." in page
    assert "Konsta@leadsment.com" in page
    assert staff_client.get("/admin/policies/policyversion/add/").status_code == 403


def test_requests_are_found_by_reference_with_their_due_date(policies: None, staff_client: Client) -> None:
    request = routed(vendor_slug="sera-leads", country="EE", request_type="access")
    listing = staff_client.get(f"/admin/dsr/request/?q={request.reference}").content.decode()
    assert request.reference in listing
    assert "2 Mar 2026" in listing  # the responder's day, unambiguous
    detail = staff_client.get(f"/admin/dsr/request/{request.pk}/change/").content.decode()
    assert "support@seraleads.com" in detail
    assert "Email address confirmed." in detail


@pytest.fixture
def sera_staff(db: None) -> Client:
    """sera_staff: leads Sera Leads' team only; sees nothing of the other vendors."""
    from dsr.models import StaffMembership
    from policies.models import Vendor

    user = get_user_model().objects.create_user("sera-staff", "s@example.org", "pw", is_staff=True)
    StaffMembership.objects.create(
        user=user, vendor=Vendor.objects.get(slug="sera-leads"), role=StaffMembership.Role.LEAD
    )
    client = Client()
    client.force_login(user)
    return client


def test_staff_see_only_the_vendors_they_work_on(policies: None, sera_staff: Client) -> None:
    sera = routed(vendor_slug="sera-leads", country="EE")
    leadsment = routed(vendor_slug="leadsment", country="FI", email="aino@example.com")
    listing = sera_staff.get("/admin/dsr/request/").content.decode()
    assert sera.reference in listing
    assert leadsment.reference not in listing
    assert sera_staff.get(f"/admin/dsr/request/{leadsment.pk}/change/").status_code in (302, 404)
    assert sera_staff.get(f"/admin/dsr/request/{leadsment.pk}/act/extend/").status_code == 404
    assert sera_staff.get(f"/admin/dsr/request/{sera.pk}/change/").status_code == 200


def test_staff_without_a_team_see_no_requests(policies: None) -> None:
    user = get_user_model().objects.create_user("lonely", "l@example.org", "pw", is_staff=True)
    client = Client()
    client.force_login(user)
    routed(vendor_slug="sera-leads", country="EE")
    assert client.get("/admin/dsr/request/").status_code == 403


def test_staff_extend_a_deadline_from_the_admin_and_the_person_is_told(policies: None, sera_staff: Client) -> None:
    from dsr.models import OutgoingEmail

    request = routed(vendor_slug="sera-leads", country="EE")
    url = f"/admin/dsr/request/{request.pk}/act/extend/"
    assert "Extend the deadline" in sera_staff.get(url).content.decode()
    # The extension is announced the day staff send it: on 3 March it is too late, whatever is typed.
    with time_machine.travel(noon(dt.date(2026, 3, 3)), tick=False):
        late = sera_staff.post(url, {"announced_on": "2026-02-20", "reason": "Many systems."})
    assert "after the deadline to announce it" in late.content.decode()
    with time_machine.travel(noon(dt.date(2026, 2, 20)), tick=False):
        done = sera_staff.post(url, {"reason": "Many systems."})
    assert done.status_code == 302
    request.refresh_from_db()
    assert schedule.due_date(request) == dt.date(2026, 4, 30)
    extended = request.events.get(kind="extended")
    assert extended.actor == "sera-staff" and "announced on 2026-02-20" in extended.message
    assert OutgoingEmail.objects.filter(request=request, kind="extended").count() == 1


def test_staff_ask_for_information_then_close_with_reasons(policies: None, sera_staff: Client) -> None:
    from dsr.models import OutgoingEmail

    request = routed(vendor_slug="sera-leads", country="EE")
    base = f"/admin/dsr/request/{request.pk}/act/"
    assert (
        sera_staff.post(
            base + "pause/", {"kind": "identity", "on": "2026-02-02", "reason": "Which account?"}
        ).status_code
        == 302
    )
    assert sera_staff.post(base + "resume/", {"on": "2026-02-05"}).status_code == 302
    refused = sera_staff.post(base + "close/", {"status": "rejected", "message": ""})
    assert "reasons" in refused.content.decode()
    assert sera_staff.post(base + "close/", {"status": "rejected", "message": "No data found."}).status_code == 302
    request.refresh_from_db()
    assert request.status == "rejected"
    kinds = set(OutgoingEmail.objects.filter(request=request).values_list("kind", flat=True))
    assert {"info_needed", "rejected"} <= kinds
