"""The whole job in a real browser, on the real services (PostgreSQL, a Celery worker on Redis, an SMTP
server): a person files a request and confirms it from the email; a handler logs in, finds it at the
top of the queue, records the identity check and puts the person's data into the answer package; the
responder answers through its link; the answer waits for a team lead, who reads it on the request's page
and approves it; the person gets it, downloads the package with the one-time code from the email and
reads the cover letter; the request leaves the queue."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from dsr.models import Request, StaffMembership
from policies.models import Vendor
from tests.factories import routed
from tests.integration.conftest import Mailbox, body
from tests.integration.test_request_life import link_in, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def staff(username: str, role: str) -> None:
    user = get_user_model().objects.create_user(
        username, f"{username}@leadsment.example", "a-long-pass-phrase-1", is_staff=True
    )
    StaffMembership.objects.create(user=user, vendor=Vendor.objects.get(slug="leadsment"), role=role)


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "a-long-pass-phrase-1")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/$"))


def test_a_request_from_the_form_to_a_leads_answer_in_a_real_browser(
    postgres: None,
    policies: None,
    smtp_server: Mailbox,
    celery_worker: None,
    live_server: Any,
    browser: Any,
    artifacts: Path,
    settings: Any,
) -> None:
    settings.SITE_URL = live_server.url
    base = live_server.url
    staff("hanna", StaffMembership.Role.HANDLER)
    staff("lea", StaffMembership.Role.LEAD)
    # Other open work of the team, filed earlier but due later (a letter dated ten days ahead is not
    # realistic, but its due date is what the queue orders by).
    later = routed(now=timezone.now() + dt.timedelta(days=10), email="other@example.com", subject_name="Otto Other")
    context = browser.new_context(locale="en-GB")
    person = context.new_page()

    # The person files an access request and confirms it from the email.
    person.goto(f"{base}/request/leadsment/")
    person.check("input[name=request_type][value=access]")
    person.check("input[name=relationship][value=account_user]")
    person.select_option("select[name=country]", "FI")
    person.fill("input[name=subject_name]", "Aino Virtanen")
    person.fill("input[name=email]", "aino@example.com")
    person.click("button:has-text('Send request')")
    person.wait_for_url(re.compile(r".*/request/sent/DSR-"))
    reference = re.search(r"DSR-[A-Z0-9]{8}", person.url).group(0)
    smtp_server.wait_for(lambda: len(smtp_server.to("aino@example.com")) == 1)
    person.goto(base + link_in(body(smtp_server.to("aino@example.com")[0])))
    person.click("button:has-text('Confirm my request')")
    person.wait_for_url(re.compile(r".*/status/"))
    wait_until(lambda: Request.objects.get(reference=reference).status == "in_progress")

    # A handler finds it at the top of the queue and opens it.
    handler = browser.new_context(locale="en-GB").new_page()
    log_in(handler, base, "hanna")
    handler.goto(f"{base}/admin/dsr/request/")
    first_row = handler.locator("#result_list tbody tr").first
    assert reference in first_row.inner_text()  # due soonest: at the top, above the later one
    assert later.reference in handler.locator("#result_list tbody tr").nth(1).inner_text()
    handler.screenshot(path=str(artifacts / "queue.png"), full_page=True)
    first_row.locator("a", has_text=reference).click()
    handler.wait_for_url(re.compile(r".*/change/$"))
    page_text = handler.inner_text("body")
    assert "aino@example.com" in page_text
    handler.screenshot(path=str(artifacts / "request-page.png"), full_page=True)
    assert handler.locator("text=Answer and close").count() == 0  # a lead's action

    # The handler records the identity check.
    handler.click("text=Record the identity check")
    handler.select_option("select[name=method]", "email_matches_record")
    handler.fill("textarea[name=note]", "The proven email is the login of account 4411.")
    handler.click("input[type=submit].default")
    handler.wait_for_url(re.compile(r".*/change/$"))
    assert Request.objects.get(reference=reference).identity_checked_at is not None

    # The handler puts the person's account data into the answer package.
    handler.click("text=Add to the answer package")
    handler.select_option("select[name=category]", "account_data")
    handler.fill(
        "textarea[name=rows]",
        json.dumps([{"email": "aino@example.com", "name": "Aino Virtanen", "role": "Admin", "since": "2024-03-01"}]),
    )
    handler.click("input[type=submit].default")
    handler.wait_for_url(re.compile(r".*/change/$"))
    assert "Being put together" in handler.inner_text(".dsr-package")

    # The responder answers through the link in its email: nothing goes to the person yet.
    responder = browser.new_context(locale="en-GB").new_page()
    smtp_server.wait_for(lambda: len(smtp_server.to("Konsta@leadsment.com")) >= 1)
    task = next(m for m in smtp_server.to("Konsta@leadsment.com") if reference in (m["Subject"] or ""))
    responder.goto(base + link_in(body(task)))
    responder.fill("textarea[name=outcome]", "A copy of the account data is in the secure package.")
    responder.click("button:has-text('Confirm: this is done')")
    wait_until(lambda: Request.objects.get(reference=reference).status == "awaiting_approval")
    assert not any("completed" in (m["Subject"] or "").lower() for m in smtp_server.to("aino@example.com"))

    # A team lead reads the answer on the request's page and approves it; the person is told.
    lead = browser.new_context(locale="en-GB").new_page()
    log_in(lead, base, "lea")
    lead.goto(f"{base}/admin/dsr/request/{Request.objects.get(reference=reference).pk}/change/")
    assert "A copy of the account data is in the secure package." in lead.inner_text("#answer")
    lead.screenshot(path=str(artifacts / "answer-awaiting-approval.png"), full_page=True)
    lead.click("text=Approve and send the answer")
    lead.check("input[name=confirm]")
    lead.click("input[type=submit].default")
    lead.wait_for_url(re.compile(r".*/change/$"))
    closed = Request.objects.get(reference=reference)
    assert closed.status == "completed"
    smtp_server.wait_for(
        lambda: any(
            "A copy of the account data is in the secure package." in body(m)
            for m in smtp_server.to("aino@example.com")
        )
    )
    lead.reload()
    assert "not downloaded yet" in lead.inner_text(".dsr-downloads")

    # It leaves the open work: the queue now starts with the other request, and shows it closed.
    lead.goto(f"{base}/admin/dsr/request/")
    rows = lead.locator("#result_list tbody tr")
    assert later.reference in rows.first.inner_text()
    assert reference not in rows.first.inner_text()
    lead.goto(f"{base}/admin/dsr/request/?status__exact=in_progress")
    assert reference not in lead.inner_text("#changelist")
    lead.screenshot(path=str(artifacts / "queue-after.png"), full_page=True)

    # The person opens the download link from the answer email, asks for a code, and enters it.
    answer = next(m for m in smtp_server.to("aino@example.com") if "/download/" in body(m))
    download_link = re.search(r"https?://[^/\s]+(/download/[^\s]+/)", body(answer)).group(1)
    person.goto(base + download_link)
    person.screenshot(path=str(artifacts / "download-page.png"), full_page=True)
    person.click("button:has-text('Send me a code')")
    smtp_server.wait_for(
        lambda: any("code" in (m["Subject"] or "").lower() for m in smtp_server.to("aino@example.com"))
    )
    code_email = next(m for m in smtp_server.to("aino@example.com") if "code" in (m["Subject"] or "").lower())
    code = re.search(r"\b(\d{6})\b", body(code_email)).group(1)
    person.fill("input[name=code]", code)
    with person.expect_download() as download:
        person.click("button:has-text('Download')")
    saved = artifacts / f"{reference}.zip"
    download.value.save_as(str(saved))
    archive = zipfile.ZipFile(io.BytesIO(saved.read_bytes()))
    assert {"cover-letter.html", "data.json", "data/account_data.csv", "manifest.json"} <= set(archive.namelist())
    assert json.loads(archive.read("data.json"))["categories"][0]["rows"][0]["email"] == "aino@example.com"
    assert Request.objects.get(reference=reference).package.download_count == 1

    # The cover letter, as the person reads it.
    letter = person.context.new_page()
    letter.set_content(archive.read("cover-letter.html").decode())
    assert "How long the data are kept" in letter.inner_text("body")
    letter.screenshot(path=str(artifacts / "cover-letter.png"), full_page=True)
    saved.unlink()

    lead.goto(f"{base}/admin/dsr/request/{closed.pk}/change/")
    assert "downloaded 1 time" in lead.inner_text(".dsr-downloads")
