"""Staff read their own vendors' policies in the admin (read-only, with citations), never another vendor's;
the laws are readable by every team."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from dsr.models import StaffMembership
from policies.models import DataCategory, Law, PolicyVersion, Vendor

pytestmark = pytest.mark.usefixtures("policies")


@pytest.fixture
def sera_handler(db: None) -> Client:
    user = get_user_model().objects.create_user("sera-h", "h@example.org", "pw", is_staff=True)
    StaffMembership.objects.create(user=user, vendor=Vendor.objects.get(slug="sera-leads"))
    client = Client()
    client.force_login(user)
    return client


def test_a_team_reads_its_own_vendors_policy_with_its_citations(sera_handler: Client) -> None:
    version = PolicyVersion.objects.filter(vendor__slug="sera-leads").first()
    assert version is not None
    page = sera_handler.get(f"/admin/policies/policyversion/{version.pk}/change/")
    assert page.status_code == 200
    assert "support@seraleads.com" in page.content.decode()  # a contact inline, with its passage
    assert sera_handler.get("/admin/policies/policyversion/add/").status_code == 403
    assert sera_handler.post(f"/admin/policies/policyversion/{version.pk}/change/", {}).status_code == 403


def test_a_team_never_sees_another_vendors_policy(sera_handler: Client) -> None:
    listing = sera_handler.get("/admin/policies/vendor/").content.decode()
    assert "Sera" in listing and "Leadsment" not in listing and "Seerene" not in listing
    other = PolicyVersion.objects.get(vendor__slug="leadsment")
    assert sera_handler.get(f"/admin/policies/policyversion/{other.pk}/change/").status_code in (302, 404)
    versions = sera_handler.get("/admin/policies/policyversion/").content.decode()
    assert "leadsment" not in versions.lower()
    category = DataCategory.objects.filter(version__vendor__slug="seerene").first()
    assert category is not None
    assert sera_handler.get(f"/admin/policies/datacategory/{category.pk}/change/").status_code in (302, 404)


def test_the_laws_are_readable_by_every_team(sera_handler: Client) -> None:
    law = Law.objects.get(code="US_CA_CCPA")
    assert sera_handler.get(f"/admin/policies/law/{law.pk}/change/").status_code == 200


def test_staff_without_a_team_read_no_policy(db: None) -> None:
    user = get_user_model().objects.create_user("lonely", "l@example.org", "pw", is_staff=True)
    client = Client()
    client.force_login(user)
    version = PolicyVersion.objects.first()
    assert version is not None
    assert client.get(f"/admin/policies/policyversion/{version.pk}/change/").status_code in (302, 403, 404)
