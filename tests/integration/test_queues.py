"""What a person waits for travels on its own queue: with only the person queue served (no worker for
routing, responders or sweeps), the verification link and the acknowledgement still arrive; and within a
queue, mail sent in batches waits behind the rest (a real worker on Redis)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from dsr import jobs
from dsr.models import OutgoingEmail, Request
from tests.integration.conftest import Mailbox, body, clean_broker, worker_on
from tests.integration.test_request_life import FORM, link_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_person_queue_delivers_verification_and_acknowledgement_without_the_bulk_workers(
    postgres: None, policies: None, smtp_server: Mailbox, person_worker: None
) -> None:
    client = Client()
    response = client.post("/request/seerene/", {**FORM, "relationship": "account_user", "country": "DE"})
    reference = re.search(r"DSR-[A-Z0-9]{8}", response["Location"]).group(0)
    smtp_server.wait_for(lambda: len(smtp_server.to("aino@example.com")) == 1)
    link = link_in(body(smtp_server.to("aino@example.com")[0]))
    client.post(link)
    smtp_server.wait_for(lambda: len(smtp_server.to("aino@example.com")) == 2)
    assert "acknowledged" in OutgoingEmail.objects.get(key=f"{reference}:acknowledged").kind
    # Routing waits on the work queue, which no worker serves here: the person was not kept waiting for it.
    assert Request.objects.get(reference=reference).status == "verified"
    assert not OutgoingEmail.objects.filter(kind="assignment").exists()


def test_a_verification_link_queued_after_a_batch_of_acknowledgements_is_sent_before_them(
    postgres: None, smtp_server: Mailbox
) -> None:
    def row(n: int) -> int:
        return OutgoingEmail.objects.create(
            key=f"DSR-Q{n}:acknowledged",
            kind="acknowledged",
            to=f"agent{n}@rights.example",
            subject="Received",
            body_text="Received.",
            urgent=True,
        ).pk

    clean_broker()
    for start in range(0, 30, 10):  # three batch calls' acknowledgements, queued first
        jobs.enqueue("send_emails_task", [row(n) for n in range(start, start + 10)], queue=jobs.PERSON)
    link = OutgoingEmail.objects.create(
        key="DSR-LINK:verify",
        kind="verify",
        to="aino@example.com",
        subject="Confirm",
        body_text="Confirm.",
        urgent=True,
    )
    jobs.enqueue("send_email_task", link.pk, queue=jobs.PERSON)
    with worker_on([jobs.PERSON], flush=False):
        smtp_server.wait_for(lambda: len(smtp_server.messages) == 31)
    assert smtp_server.messages[0]["X-Envelope-To"] == "aino@example.com"
