"""The staff admin shows requests, vendors and policies read-only, citations beside the facts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from dsr import workflow
from dsr.intake import Submission, submit_request, verify_email
from policies.models import PolicyVersion


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
    now = dt.datetime(2026, 1, 31, 10, tzinfo=dt.UTC)
    request = submit_request(
        Submission(
            vendor_slug="sera-leads",
            request_type="access",
            relationship="account_user",
            country="EE",
            state="",
            subject_name="Mari",
            email="mari@example.com",
        ),
        now=now,
    )
    verify_email(request.reference, now=now)
    workflow.route_request(request.pk, now=now)
    listing = staff_client.get(f"/admin/dsr/request/?q={request.reference}").content.decode()
    assert request.reference in listing
    assert "2026-03-02" in listing
    detail = staff_client.get(f"/admin/dsr/request/{request.pk}/change/").content.decode()
    assert "support@seraleads.com" in detail
    assert "Email address confirmed." in detail
