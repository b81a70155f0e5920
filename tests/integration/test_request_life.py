"""End to end on the real parts: PostgreSQL, a Celery worker on Redis, an SMTP server on loopback.

A person submits the form, reads the verification email from the SMTP server, follows its link; the
worker routes the request, the deadlines are set, and every expected email arrives exactly once.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import Any

import pytest
from django.test import Client

from dsr.models import OutgoingEmail, Request
from tests.integration.conftest import Mailbox, body

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

FORM = {
    "request_type": "erasure",
    "relationship": "account_user",
    "country": "FI",
    "state": "",
    "subject_name": "Aino Virtanen",
    "email": "aino@example.com",
    "details": "Please delete my account and everything about me.",
    "website": "",
}


def link_in(text: str) -> str:
    match = re.search(r"https?://[^/\s]+(/[^\s]+/)", text)
    assert match, text
    return match.group(1)


def wait_until(condition: Any, *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_a_request_from_form_to_routed_with_every_email_once(
    postgres: None, policies: None, smtp_server: Mailbox, celery_worker: None
) -> None:
    client = Client()
    response = client.post("/request/leadsment/", FORM)
    assert response.status_code == 302
    reference = re.search(r"DSR-[A-Z0-9]{8}", response["Location"]).group(0)

    # 1. The verification email arrives through the worker and the SMTP server.
    smtp_server.wait_for(lambda: len(smtp_server.to("aino@example.com")) == 1)
    (verify,) = smtp_server.to("aino@example.com")
    assert reference in verify["Subject"]
    request = Request.objects.get(reference=reference)
    assert request.status == "submitted" and not request.assignments.exists()

    # 2. Following the link: GET only shows a button (mail scanners verify nothing); POST verifies.
    link = link_in(body(verify))
    assert client.get(link).status_code == 200
    assert Request.objects.get(reference=reference).status == "submitted"
    response = client.post(link)
    assert response.status_code == 302 and "/status/" in response["Location"]

    # 3. The worker routes it: plan made, deadlines set, assignees and the person told.
    wait_until(lambda: Request.objects.get(reference=reference).status == "in_progress")
    request = Request.objects.get(reference=reference)
    assert request.due_at is not None
    # Leadsment fulfils; Stripe, and the sub-processors named only by kind, are told of the erasure (Art 19).
    assert sorted(request.assignments.values_list("action", flat=True)) == [
        "fulfil",
        "identify_recipients",
        "propagate",
    ]
    expected = {
        ("aino@example.com", "verify"),
        ("aino@example.com", "acknowledged"),
        ("aino@example.com", "routed"),
        ("Konsta@leadsment.com", "assignment"),
    }
    smtp_server.wait_for(lambda: len(smtp_server.messages) >= 6)
    time.sleep(1.0)  # anything sent twice would have arrived by now
    received = Counter((m["X-Envelope-To"], m["Subject"]) for m in smtp_server.messages)
    assert all(count == 1 for count in received.values()), received
    assert len(smtp_server.messages) == 6  # verify, acknowledged, routed, and one per assignment (3)
    sent = set(OutgoingEmail.objects.filter(status="sent").values_list("to", "kind"))
    assert expected <= sent
    assert not OutgoingEmail.objects.exclude(status="sent").exists()

    # The acknowledgement carries the due date the deadline engine computed.
    (ack,) = [m for m in smtp_server.to("aino@example.com") if "received" in m["Subject"].lower()]
    due = request.deadlines["strictest"]["due_date"]
    assert due in body(ack)
    assert due in body(ack, "text/html")

    # The status page (signed link from the email) shows where it stands.
    status = client.get(link_in(body(ack)))
    assert status.status_code == 200
    assert reference.encode() in status.content


def test_an_smtp_outage_delays_an_email_but_never_loses_or_doubles_it(
    postgres: None, policies: None, smtp_server: Mailbox, celery_worker: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("dsr.outbox.emails.RETRY_SCHEDULE", (1, 1, 1, 1, 1))
    smtp_server.fail_next = 2
    response = Client().post("/request/sera-leads/", {**FORM, "country": "EE"})
    assert response.status_code == 302
    smtp_server.wait_for(lambda: len(smtp_server.messages) == 1, timeout=30)
    # The worker records the send just after the SMTP server has the message.
    wait_until(lambda: OutgoingEmail.objects.get(kind="verify").status == "sent", timeout=10)
    email = OutgoingEmail.objects.get(kind="verify")
    assert (email.status, email.attempts) == ("sent", 3)
    time.sleep(1.5)
    assert len(smtp_server.messages) == 1


def test_a_ccpa_opt_out_is_routed_without_email_confirmation(
    postgres: None, policies: None, smtp_server: Mailbox, celery_worker: None
) -> None:
    """11 CCR 7026: an opt-out is not a verifiable request. No link to follow: the worker routes it at once."""
    client = Client()
    form = {**FORM, "request_type": "opt_out", "relationship": "account_user", "country": "US", "state": "CA"}
    form["email"] = "casey@example.com"
    response = client.post("/request/leadoro/", form)
    assert response.status_code == 302 and "/request/received/" in response["Location"]
    reference = re.search(r"DSR-[A-Z0-9]{8}", response["Location"]).group(0)

    wait_until(lambda: Request.objects.get(reference=reference).status == "in_progress")
    smtp_server.wait_for(lambda: any("received" in m["Subject"].lower() for m in smtp_server.to("casey@example.com")))
    kinds = Counter(OutgoingEmail.objects.filter(to="casey@example.com").values_list("kind", flat=True))
    assert "verify" not in kinds and kinds["acknowledged"] == 1
    request = Request.objects.get(reference=reference)
    assert request.verified_at is None and request.assignments.exists()
