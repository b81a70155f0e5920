"""The dashboard in a real browser: a team lead opens it, reads today's counts and the charts, follows a count
to the queue; the screenshot is saved as an artifact (var/artifacts/browser/dashboard.png)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from dsr.models import Request, StaffMembership
from dsr.requests import workflow
from policies.models import Vendor
from tests.factories import STAFF, identified, routed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_lead_reads_the_dashboard_and_follows_a_count_to_the_queue(
    postgres: None, policies: None, live_server: Any, browser: Any, artifacts: Path
) -> None:
    user = get_user_model().objects.create_user("lea", "lea@leadsment.example", "a-long-pass-phrase-1", is_staff=True)
    StaffMembership.objects.create(user=user, vendor=Vendor.objects.get(slug="leadsment"), role="lead")
    now = timezone.now()
    routed(now=now - dt.timedelta(days=40), email="late@example.com")  # overdue
    for n in range(8):  # answered over the last months, one of them late
        received = now - dt.timedelta(days=30 * n + 20)
        answered = received + dt.timedelta(days=45 if n == 3 else 4 + n)
        request = identified(routed(now=received, email=f"p{n}@example.com"), now=received)
        workflow.close_request(request, status=Request.Status.COMPLETED, message="", actor=STAFF, now=answered)
    page = browser.new_context(locale="en-GB", viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "lea")
    page.fill("#id_password", "a-long-pass-phrase-1")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/$"))
    page.goto(f"{live_server.url}/admin/dsr/request/")
    page.click("text=Dashboard")
    page.wait_for_url(re.compile(r".*/dashboard/$"))
    assert page.locator("#tile-overdue .count").inner_text() == "1"
    assert page.locator("svg[role=img]").count() == 4
    page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)
    page.click("#tile-overdue")
    page.wait_for_url(re.compile(r".*due=overdue"))
    assert page.locator("#result_list tbody tr").count() == 1
